package labelguard.rules.upadacitinib_test

import data.labelguard.testing as t

upa(mg) := t.order("upadacitinib", mg)

upa_unknown_dose := object.remove(upa(0), ["dailyDoseMg"])

fired(orders, extra) := ids if {
	ids := {f.rule | some f in t.drug_findings("upadacitinib", t.order_packages)} with input as t.input_with(orders, extra)
}

finding(id, orders, extra) := f if {
	some f in t.drug_findings("upadacitinib", t.order_packages) with input as t.input_with(orders, extra)
	f.rule == id
}

# --- dose-max

test_45_mg_exceeds_maximum if {
	f := finding("upadacitinib.dose-max", [upa(45)], {})
	f.indicator == "critical"

	# the card (jak {drug}.dose-max, written by its template) says
	# "Upadacitinib 45 mg/day exceeds the atopic dermatitis maximum of 30 mg"
	f.text.drug == "upadacitinib"
	f.text.dailyDoseMg == 45
	f.text.maxMgPerDay == 30
	f.suggestions == [{"kind": "update-dose", "label": "Change to 15 mg once daily", "targetDailyDoseMg": 15}]
}

test_30_mg_is_not_above_maximum if {
	not "upadacitinib.dose-max" in fired([t.continuation(upa(30), 100)], {})
}

test_dose_max_silent_when_dose_unknown if {
	not "upadacitinib.dose-max" in fired([upa_unknown_dose], {})
}

# --- start-dose

test_start_at_30_mg_suggests_15 if {
	f := finding("upadacitinib.start-dose", [upa(30)], {})
	f.indicator == "info"
	f.suggestions[0].targetDailyDoseMg == 15
	f.text.order.dailyDoseMg == 30 # the card says "ordered 30 mg/day"
	f.text.recommendedMgPerDay == 15 # "start atopic dermatitis at 15 mg once daily"
	f.text.maxMgPerDay == 30 # "increases to 30 mg only after an inadequate response"
}

test_start_at_15_mg_is_fine if {
	fired([upa(15)], {}) == set()
}

test_start_dose_not_at_continuation if {
	not "upadacitinib.start-dose" in fired([t.continuation(upa(30), 100)], {})
}

test_start_dose_not_where_the_label_allows_a_higher_start if {
	ids := fired([upa(30)], {}) with data.labelguard.profiles.upadacitinib.dose.startsAtRecommended as false
	not "upadacitinib.start-dose" in ids
}

test_start_dose_yields_to_dose_max if {
	ids := fired([upa(45)], {})
	"upadacitinib.dose-max" in ids
	not "upadacitinib.start-dose" in ids
}

test_start_dose_yields_to_age65 if {
	ids := fired([upa(30)], {"patient": t.patient(70, "male")})
	ids == {"upadacitinib.dose-age65"}
}

# --- dose-age65

test_age_65_with_30_mg_fires if {
	f := finding("upadacitinib.dose-age65", [t.continuation(upa(30), 100)], {"patient": t.patient(65, "male")})
	f.text.order.dailyDoseMg == 30 # the card says "Upadacitinib (30 mg/day)"
	f.text.age == 65 # "Patient age **65**"
	f.text.fromAge == 65 # "at age 65 and older"
}

test_age_64_with_30_mg_does_not_fire if {
	not "upadacitinib.dose-age65" in fired([t.continuation(upa(30), 100)], {"patient": t.patient(64, "male")})
}

test_age_65_with_15_mg_does_not_fire if {
	not "upadacitinib.dose-age65" in fired([upa(15)], {"patient": t.patient(80, "male")})
}

test_age_65_with_unknown_dose_states_maximum if {
	f := finding("upadacitinib.dose-age65", [upa_unknown_dose], {"patient": t.patient(70, "male")})
	not "dailyDoseMg" in object.keys(f.text.order) # the card says "dose not verifiable"
	f.text.maxMgPerDay == 15 # "use 15 mg once daily"
}

# --- renal-severe-dose

test_egfr_29_9_with_30_mg_fires if {
	labs := t.with_labs({"egfr": t.lab("egfr", 29.9, 10)})
	f := finding("upadacitinib.renal-severe-dose", [t.continuation(upa(30), 100)], {"labs": labs})
	f.evidence[0].value == 29.9
	f.suggestions[0].targetDailyDoseMg == 15
	f.text.evidence == f.evidence # the card says "eGFR 29.9 mL/min/1.73 m² (…)"
	f.text.order.dailyDoseMg == 30 # "Ordered: 30 mg/day"
	[f.text.egfrFrom, f.text.egfrBelow, f.text.maxMgPerDay] == [15, 30, 15] # "(eGFR 15 to < 30 …)", "use 15 mg once daily"
}

test_renal_severe_dose_with_unknown_dose if {
	labs := t.with_labs({"egfr": t.lab("egfr", 20, 10)})
	f := finding("upadacitinib.renal-severe-dose", [upa_unknown_dose], {"labs": labs})
	not "dailyDoseMg" in object.keys(f.text.order) # the card says "dose not verifiable"
}

test_egfr_30_does_not_fire if {
	labs := t.with_labs({"egfr": t.lab("egfr", 30, 10)})
	not "upadacitinib.renal-severe-dose" in fired([t.continuation(upa(30), 100)], {"labs": labs})
}

test_egfr_15_fires_and_14_9_is_esrd if {
	"upadacitinib.renal-severe-dose" in fired([t.continuation(upa(30), 100)], {"labs": t.with_labs({"egfr": t.lab("egfr", 15, 10)})})
	ids := fired([t.continuation(upa(30), 100)], {"labs": t.with_labs({"egfr": t.lab("egfr", 14.9, 10)})})
	not "upadacitinib.renal-severe-dose" in ids
	"upadacitinib.renal-esrd" in ids
}

test_ckd_stage_4_condition_fires if {
	c := t.condition("ckd", t.icd("N184"), "chronic kidney disease, stage 4 (severe)")
	"upadacitinib.renal-severe-dose" in fired([t.continuation(upa(30), 100)], {"conditions": [c]})
}

test_stale_egfr_does_not_fire if {
	labs := t.with_labs({"egfr": t.lab("egfr", 20, 91)})
	not "upadacitinib.renal-severe-dose" in fired([t.continuation(upa(30), 100)], {"labs": labs})
}

# --- cyp3a4-inhibitor

test_ketoconazole_with_30_mg_fires_on_upadacitinib_order if {
	meds := [upa(30), t.med("keto", "ketoconazole 200 mg oral tablet")]
	f := finding("upadacitinib.cyp3a4-inhibitor", [t.continuation(upa(30), 100)], {"medications": meds})
	f.order == "MedicationRequest/upadacitinib-order"
	f.text.inhibitors == ["ketoconazole"] # the card says "with ketoconazole"
	target_doses(f) == {30} # "Upadacitinib (30 mg/day)"
	f.text.maxMgPerDay == 15 # "use 15 mg once daily"
}

test_cyp3a4_inhibitor_lists_each_dose_once_in_order if {
	active := object.union(t.active_target("upadacitinib", 100), {"dailyDoseMg": 30})
	statement := object.union(active, {"ref": "MedicationStatement/upa"})
	other := object.union(t.draft_med("upa-2", "upadacitinib 15 mg tablet"), {"target": "upadacitinib", "dailyDoseMg": 15})
	unknown := object.union(t.draft_med("upa-3", "upadacitinib tablet"), {"target": "upadacitinib"})
	clar := t.draft_med("clar", "clarithromycin 500 mg oral tablet")
	f := finding("upadacitinib.cyp3a4-inhibitor", [clar], {"medications": [clar, active, statement, other, unknown]})

	# every upadacitinib on the record, which the card lists as "15 mg/day,
	# 30 mg/day, dose not verifiable": each phrase once, sorted (the
	# template's doses and sorted, engine.TestCardFuncsMatchRego)
	count(f.text.targets) == 4
	target_doses(f) == {15, 30, "not verifiable"}
}

test_topical_ketoconazole_does_not_fire if {
	meds := [upa(30), t.med("keto", "ketoconazole 20 mg/g topical cream")]
	not "upadacitinib.cyp3a4-inhibitor" in fired([t.continuation(upa(30), 100)], {"medications": meds})
}

test_clarithromycin_order_while_upadacitinib_30_active_fires_on_clarithromycin if {
	active := object.union(t.active_target("upadacitinib", 100), {"dailyDoseMg": 30})
	clar := t.draft_med("clar", "clarithromycin 500 mg oral tablet")
	f := finding("upadacitinib.cyp3a4-inhibitor", [clar], {"medications": [clar, active]})
	f.order == "MedicationRequest/clar"
	f.suggestions == []
	f.text.inhibitors == ["clarithromycin"] # the card says "with clarithromycin"
	target_doses(f) == {30} # "Upadacitinib (30 mg/day)"
}

test_clarithromycin_with_upadacitinib_15_does_not_fire if {
	active := object.union(t.active_target("upadacitinib", 100), {"dailyDoseMg": 15})
	clar := t.draft_med("clar", "clarithromycin 500 mg oral tablet")
	fired([clar], {"medications": [clar, active]}) == set()
}

# target_doses: the daily doses of the targets a dose card lists.
target_doses(f) := {object.get(x, "dailyDoseMg", "not verifiable") | some x in f.text.targets}
