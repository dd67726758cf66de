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
	contains(f.summary, "do not initiate")
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
	contains(f.summary, "discontinue")
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
}

test_egfr_29_at_100_mg_initiation_starts_at_50_where_dosed if {
	f := finding("abrocitinib.renal-severe-dose", [abro_mg(100)], egfr_lab(29)) with data.labelguard.profiles.abrocitinib.dose.limits.renalSevere as eu_renal
	f.suggestions[0].targetDailyDoseMg == 50
	not "abrocitinib.renal-severe" in fired([abro_mg(100)], egfr_lab(29)) with data.labelguard.profiles.abrocitinib.dose.limits.renalSevere as eu_renal
}

test_egfr_29_at_50_mg_is_fine_where_dosed if {
	fired([abro_mg(50)], egfr_lab(29)) == set() with data.labelguard.profiles.abrocitinib.dose.limits.renalSevere as eu_renal
}

test_egfr_29_continuation_at_100_mg_is_fine_where_dosed if {
	fired([t.continuation(abro_mg(100), 200)], egfr_lab(29)) == set() with data.labelguard.profiles.abrocitinib.dose.limits.renalSevere as eu_renal
	"abrocitinib.renal-severe-dose" in fired([t.continuation(abro_mg(200), 200)], egfr_lab(29)) with data.labelguard.profiles.abrocitinib.dose.limits.renalSevere as eu_renal
}

test_esrd_is_a_warning_where_dosed if {
	c := t.condition("esrd", t.icd("N186"), "end stage renal disease")
	f := finding("abrocitinib.renal-severe", [abro_mg(50)], {"conditions": [c]}) with data.labelguard.profiles.abrocitinib.dose.limits.renalSevere as eu_renal
	f.indicator == "warning"
	contains(f.summary, "not studied")
}
