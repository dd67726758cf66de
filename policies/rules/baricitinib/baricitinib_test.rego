package labelguard.rules.baricitinib_test

import data.labelguard.testing as t

bari(mg) := t.order("baricitinib", mg)

ids(orders, extra) := s if {
	s := {f.rule | some f in t.drug_findings("baricitinib", t.order_packages)} with input as t.input_with(orders, extra)
}

finding(id, orders, extra) := f if {
	some f in t.drug_findings("baricitinib", t.order_packages) with input as t.input_with(orders, extra)
	f.rule == id
}

test_jurisdiction_us_info if {
	ids([bari(2)], {}) == {"baricitinib.jurisdiction"}
}

test_jurisdiction_silent_where_approved if {
	ids([bari(2)], {}) == set() with data.labelguard.profiles.baricitinib.approval.approved as true
}

test_8_mg_above_maximum_suggests_the_recommended_4 if {
	f := finding("baricitinib.dose-max", [bari(8)], {})
	f.suggestions[0].targetDailyDoseMg == 4
}

test_4_mg_is_the_maximum if {
	not "baricitinib.dose-max" in ids([bari(4)], {})
}

test_4_mg_at_65_fires_dose_risk if {
	"baricitinib.dose-risk" in ids([bari(4)], {"patient": t.patient(65, "male")})
}

test_4_mg_at_64_does_not_fire_dose_risk if {
	not "baricitinib.dose-risk" in ids([bari(4)], {"patient": t.patient(64, "male")})
}

test_4_mg_with_vte_history_fires_dose_risk if {
	c := t.resolved_condition("pe", t.icd("I2699"), "pulmonary embolism")
	f := finding("baricitinib.dose-risk", [bari(4)], {"conditions": [c]})
	contains(f.summary, "vte")
}

test_2_mg_with_risk_is_fine if {
	not "baricitinib.dose-risk" in ids([bari(2)], {"patient": t.patient(80, "male")})
}

test_cv_risk_alone_does_not_fire_dose_risk if {
	c := t.condition("htn", t.icd("I10"), "hypertension")
	not "baricitinib.dose-risk" in ids([bari(4)], {"patient": t.patient(55, "male"), "conditions": [c]})
}

test_egfr_59_with_4_mg_fires_renal_moderate if {
	"baricitinib.renal-moderate-dose" in ids([bari(4)], {"labs": t.with_labs({"egfr": t.lab("egfr", 59, 5)})})
}

test_egfr_60_does_not_fire if {
	not "baricitinib.renal-moderate-dose" in ids([bari(4)], {"labs": t.with_labs({"egfr": t.lab("egfr", 60, 5)})})
}

test_egfr_29_9_is_severe_30_is_moderate if {
	s := ids([bari(4)], {"labs": t.with_labs({"egfr": t.lab("egfr", 29.9, 5)})})
	"baricitinib.renal-severe" in s
	not "baricitinib.renal-moderate-dose" in s
	s30 := ids([bari(4)], {"labs": t.with_labs({"egfr": t.lab("egfr", 30, 5)})})
	"baricitinib.renal-moderate-dose" in s30
	not "baricitinib.renal-severe" in s30
}

test_probenecid_with_4_mg_fires if {
	meds := [bari(4), t.med("pro", "probenecid 500 mg oral tablet")]
	f := finding("baricitinib.oat3-inhibitor", [bari(4)], {"medications": meds})
	f.suggestions[0].targetDailyDoseMg == 2
}

test_probenecid_with_2_mg_does_not_fire if {
	meds := [bari(2), t.med("pro", "probenecid 500 mg oral tablet")]
	not "baricitinib.oat3-inhibitor" in ids([bari(2)], {"medications": meds})
}

# Olumiant SmPC 4.2: 2 mg for a history of chronic or recurrent infections.
test_4_mg_with_recurrent_infections_suggests_2_mg if {
	c := t.condition("ruti", "urn:labelguard:test|ruti", "Recurrent urinary tract infection")
	f := finding("baricitinib.dose-risk", [bari(4)], {"patient": t.patient(40, "female"), "conditions": [c]})
	contains(f.summary, "infections")
	f.suggestions[0].targetDailyDoseMg == 2
}

test_2_mg_with_recurrent_infections_is_fine if {
	c := t.condition("ruti", "urn:labelguard:test|ruti", "Recurrent urinary tract infection")
	not "baricitinib.dose-risk" in ids([bari(2)], {"patient": t.patient(40, "female"), "conditions": [c]})
}

test_a_single_infection_does_not_fire_dose_risk if {
	c := t.condition("uti", "urn:labelguard:test|uti", "Urinary tract infection")
	not "baricitinib.dose-risk" in ids([bari(4)], {"patient": t.patient(40, "female"), "conditions": [c]})
}
