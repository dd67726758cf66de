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
	f.text.ids == ["vte"] # the card says "(vte)"
	[r.display | some r in f.text.risks] == ["History of venous thromboembolism"]
	f.text.order.dailyDoseMg == 4 # "Baricitinib (4 mg/day)"
	f.text.reduced == 2 # "2 mg once daily recommended"
}

# An unknown age is no age risk, and the other risks still count: a
# history of VTE without a birth date gets the 2 mg card.
test_4_mg_with_vte_history_and_unknown_age_fires_dose_risk if {
	c := t.resolved_condition("pe", t.icd("I2699"), "pulmonary embolism")
	f := finding("baricitinib.dose-risk", [bari(4)], {"patient": {"ref": "Patient/p1", "sex": "male"}, "conditions": [c]})
	f.text.ids == ["vte"]
}

test_4_mg_with_unknown_age_and_no_risk_is_silent if {
	not "baricitinib.dose-risk" in ids([bari(4)], {"patient": {"ref": "Patient/p1", "sex": "male"}})
}

# The age is a risk the card writes from the age: "(age-65, vte)" in the
# summary, "- Age 70 (65 or older)" first in the list.
test_age_70_with_vte_history_lists_the_age_first if {
	c := t.resolved_condition("pe", t.icd("I2699"), "pulmonary embolism")
	f := finding("baricitinib.dose-risk", [bari(4)], {"patient": t.patient(70, "male"), "conditions": [c]})
	f.text.ids == ["age", "vte"]
	f.text.from_age == 65
	f.text.risks[0].id == "age"
	f.text.risks[0].age == 70
	f.text.risks[1].display == "History of venous thromboembolism"
	count(f.text.risks) == 2
}

# An order whose dose could not be derived: "Baricitinib (dose not
# verifiable)", the card written from the order without a daily dose.
test_dose_not_verifiable_at_65_fires_dose_risk if {
	o := object.remove(bari(4), ["dailyDoseMg"])
	f := finding("baricitinib.dose-risk", [o], {"patient": t.patient(65, "male")})
	not "dailyDoseMg" in object.keys(f.text.order)
	f.text.ids == ["age"]
}

test_2_mg_with_risk_is_fine if {
	not "baricitinib.dose-risk" in ids([bari(2)], {"patient": t.patient(80, "male")})
}

test_cv_risk_alone_does_not_fire_dose_risk if {
	c := t.condition("htn", t.icd("I10"), "hypertension")
	not "baricitinib.dose-risk" in ids([bari(4)], {"patient": t.patient(55, "male"), "conditions": [c]})
}

test_egfr_59_with_4_mg_fires_renal_moderate if {
	f := finding("baricitinib.renal-moderate-dose", [bari(4)], {"labs": t.with_labs({"egfr": t.lab("egfr", 59, 5)})})
	f.text.lab.value == 59 # "with eGFR 59", "eGFR **59 mL/min/1.73 m² on ...**"
	f.text.from == 30 # "(30 to < 60 mL/min/1.73 m²)"
	f.text.below == 60
	f.text.order.dailyDoseMg == 4 # "Ordered: 4 mg/day"
	f.text.reduced == 2
}

test_egfr_45_with_a_dose_not_verifiable_fires_renal_moderate if {
	o := object.remove(bari(4), ["dailyDoseMg"])
	f := finding("baricitinib.renal-moderate-dose", [o], {"labs": t.with_labs({"egfr": t.lab("egfr", 45, 5)})})
	not "dailyDoseMg" in object.keys(f.text.order) # "Ordered: dose not verifiable"
}

test_egfr_60_does_not_fire if {
	not "baricitinib.renal-moderate-dose" in ids([bari(4)], {"labs": t.with_labs({"egfr": t.lab("egfr", 60, 5)})})
}

test_egfr_29_9_is_severe_30_is_moderate if {
	s := ids([bari(4)], {"labs": t.with_labs({"egfr": t.lab("egfr", 29.9, 5)})})
	"baricitinib.renal-severe" in s
	f := finding("baricitinib.renal-severe", [bari(4)], {"labs": t.with_labs({"egfr": t.lab("egfr", 29.9, 5)})})
	f.text.below == 30 # "eGFR < 30 mL/min/1.73 m²"
	[e.value | some e in f.text.evidence] == [29.9] # "Severe renal impairment: eGFR 29.9 ..."
	not "baricitinib.renal-moderate-dose" in s
	s30 := ids([bari(4)], {"labs": t.with_labs({"egfr": t.lab("egfr", 30, 5)})})
	"baricitinib.renal-moderate-dose" in s30
	not "baricitinib.renal-severe" in s30
}

test_probenecid_with_4_mg_fires if {
	meds := [bari(4), t.med("pro", "probenecid 500 mg oral tablet")]
	f := finding("baricitinib.oat3-inhibitor", [bari(4)], {"medications": meds})
	f.suggestions[0].targetDailyDoseMg == 2
	[t.dailyDoseMg | some t in f.text.targets] == [4] # "Baricitinib (4 mg/day) with probenecid"
	f.text.reduced == 2
}

# A probenecid order while baricitinib is active at two doses, one not
# verifiable: each dose once, in the order of their text.
test_probenecid_order_names_each_active_dose if {
	pro := t.draft_med("pro", "probenecid 500 mg oral tablet")
	b4 := object.union(t.active_target("baricitinib", 30), {"ref": "MedicationRequest/b4", "dailyDoseMg": 4})
	b8 := object.union(t.active_target("baricitinib", 30), {"ref": "MedicationRequest/b8", "dailyDoseMg": 8})
	bx := object.union(t.active_target("baricitinib", 30), {"ref": "MedicationRequest/bx"})
	b4again := object.union(b4, {"ref": "MedicationRequest/b4-again"})
	f := finding("baricitinib.oat3-inhibitor", [pro], {"medications": [pro, b4, b8, bx, b4again]})
	f.order == "MedicationRequest/pro"

	# the card says "4 mg/day, 8 mg/day, dose not verifiable": each dose
	# phrase once, in the order of their text (the template's doses and
	# sorted, engine.TestCardFuncsMatchRego)
	count(f.text.targets) == 4
	{object.get(t, "dailyDoseMg", "not verifiable") | some t in f.text.targets} == {4, 8, "not verifiable"}
}

test_probenecid_with_2_mg_does_not_fire if {
	meds := [bari(2), t.med("pro", "probenecid 500 mg oral tablet")]
	not "baricitinib.oat3-inhibitor" in ids([bari(2)], {"medications": meds})
}

# Olumiant SmPC 4.2: 2 mg for a history of chronic or recurrent infections.
test_4_mg_with_recurrent_infections_suggests_2_mg if {
	c := t.condition("ruti", "urn:labelguard:test|ruti", "Recurrent urinary tract infection")
	f := finding("baricitinib.dose-risk", [bari(4)], {"patient": t.patient(40, "female"), "conditions": [c]})
	f.text.ids == ["infections"] # the card says "(infections)"
	[r.display | some r in f.text.risks] == ["History of chronic or recurrent infections"]
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
