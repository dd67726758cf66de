package labelguard.rules.abrocitinib_test

import data.labelguard.testing as t

platelets(v) := {"labs": t.with_labs({"platelets": t.lab("platelets", v, 10)})}

test_age_11_not_approved if {
	"abrocitinib.age-min" in fired([abro_mg(100)], {"patient": t.patient(11, "female")})
}

test_age_12_approved if {
	not "abrocitinib.age-min" in fired([abro_mg(100)], {"patient": t.patient(12, "male")})
}

test_platelets_149_at_initiation_fires if {
	f := finding("abrocitinib.lab-platelets-low", [abro_mg(100)], platelets(149))
	f.text.phase == "initiation" # the card (jak, written by its template) says "do not initiate"
	f.text.limit == 150
	f.evidence[0].value == 149
}

test_platelets_150_at_initiation_does_not_fire if {
	fired([abro_mg(100)], platelets(150)) == set()
}

test_platelets_100_in_continuation_does_not_fire if {
	fired([t.continuation(abro_mg(100), 200)], platelets(100)) == set()
}

test_platelets_49_in_continuation_fires if {
	f := finding("abrocitinib.lab-platelets-low", [t.continuation(abro_mg(100), 200)], platelets(49))
	f.text.phase == "continuation" # the card says "discontinue"
	f.text.limit == 50
	f.text.restartAbove == 100
}

test_platelets_stale_does_not_fire if {
	fired([abro_mg(100)], {"labs": t.with_labs({"platelets": t.lab("platelets", 40, 91)})}) == set()
}

test_ckd_stage_4_snomed_is_severe if {
	c := t.condition("ckd4", t.sct("431857002"), "chronic kidney disease stage 4")
	"abrocitinib.renal-severe" in fired([abro_mg(100)], {"conditions": [c]})
}

test_esrd_n18_6_is_severe if {
	c := t.condition("esrd", t.icd("N186"), "end stage renal disease")
	"abrocitinib.renal-severe" in fired([abro_mg(100)], {"conditions": [c]})
}

# Where the label doses abrocitinib in severe renal impairment (the EU
# profile's renalSevere.startMgPerDay and maxMgPerDay), eGFR < 30 gets a
# dose card instead of "not recommended"; ESRD a warning (not studied).
eu_renal := {"egfrBelow": 30, "startMgPerDay": 50, "maxMgPerDay": 100}

egfr_lab(v) := {"labs": t.with_labs({"egfr": t.lab("egfr", v, 5)})}

test_egfr_29_not_recommended_where_not_dosed if {
	ids := fired([abro_mg(50)], egfr_lab(29))
	"abrocitinib.renal-severe" in ids
	not "abrocitinib.renal-severe-dose" in ids
	f := finding("abrocitinib.renal-severe", [abro_mg(50)], egfr_lab(29))
	f.indicator == "critical"
	f.text.dosed == false # the card says "not recommended in severe renal impairment or ESRD"
	f.text.egfrBelow == 30 # "(eGFR < 30)"
	f.text.evidence == f.evidence # "Severe renal impairment: eGFR 29 mL/min/1.73 m² (…)"
}

test_egfr_29_at_100_mg_initiation_starts_at_50_where_dosed if {
	f := finding("abrocitinib.renal-severe-dose", [abro_mg(100)], egfr_lab(29)) with data.labelguard.profiles.abrocitinib.dose.limits.renalSevere as eu_renal
	f.suggestions[0].targetDailyDoseMg == 50
	f.text.order.dailyDoseMg == 100 # the card says "Abrocitinib (100 mg/day)"
	f.text.phase == "initiation" # "Ordered: 100 mg/day (initiation)"
	[f.text.startMgPerDay, f.text.maxMgPerDay] == [50, 100] # "start at 50 mg once daily (at most 100 mg)"
	f.text.evidence == f.evidence # "Severe renal impairment: eGFR 29 mL/min/1.73 m² (…)"
	not "abrocitinib.renal-severe" in fired([abro_mg(100)], egfr_lab(29)) with data.labelguard.profiles.abrocitinib.dose.limits.renalSevere as eu_renal
}

test_egfr_29_at_50_mg_is_fine_where_dosed if {
	fired([abro_mg(50)], egfr_lab(29)) == set() with data.labelguard.profiles.abrocitinib.dose.limits.renalSevere as eu_renal
}

test_egfr_29_continuation_at_100_mg_is_fine_where_dosed if {
	fired([t.continuation(abro_mg(100), 200)], egfr_lab(29)) == set() with data.labelguard.profiles.abrocitinib.dose.limits.renalSevere as eu_renal
	"abrocitinib.renal-severe-dose" in fired([t.continuation(abro_mg(200), 200)], egfr_lab(29)) with data.labelguard.profiles.abrocitinib.dose.limits.renalSevere as eu_renal
}

test_egfr_29_continuation_at_200_mg_where_dosed_says_continuation if {
	f := finding("abrocitinib.renal-severe-dose", [t.continuation(abro_mg(200), 200)], egfr_lab(29)) with data.labelguard.profiles.abrocitinib.dose.limits.renalSevere as eu_renal
	f.text.phase == "continuation" # the card says "Ordered: 200 mg/day (continuation)"
	f.suggestions[0].targetDailyDoseMg == 50
}

test_egfr_29_unknown_dose_where_dosed if {
	f := finding("abrocitinib.renal-severe-dose", [abro_unknown_dose], egfr_lab(29)) with data.labelguard.profiles.abrocitinib.dose.limits.renalSevere as eu_renal
	not "dailyDoseMg" in object.keys(f.text.order) # the card says "dose not verifiable"
}

test_esrd_is_a_warning_where_dosed if {
	c := t.condition("esrd", t.icd("N186"), "end stage renal disease")
	f := finding("abrocitinib.renal-severe", [abro_mg(50)], {"conditions": [c]}) with data.labelguard.profiles.abrocitinib.dose.limits.renalSevere as eu_renal
	f.indicator == "warning"
	f.text.dosed == true # the card says "not studied on renal replacement therapy"
	f.text.evidence[0].reference == "Condition/esrd" # "End-stage renal disease: end stage renal disease"
}
