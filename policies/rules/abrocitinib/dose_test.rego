package labelguard.rules.abrocitinib_test

import data.labelguard.testing as t

abro_mg(mg) := t.order("abrocitinib", mg)

abro_unknown_dose := object.remove(abro_mg(0), ["dailyDoseMg"])

fired(orders, extra) := ids if {
	ids := {f.rule | some f in t.drug_findings("abrocitinib", t.order_packages)} with input as t.input_with(orders, extra)
}

finding(id, orders, extra) := f if {
	some f in t.drug_findings("abrocitinib", t.order_packages) with input as t.input_with(orders, extra)
	f.rule == id
}

egfr(v) := {"labs": t.with_labs({"egfr": t.lab("egfr", v, 10)})}

# --- dose-max

test_400_mg_exceeds_maximum_suggests_100 if {
	f := finding("abrocitinib.dose-max", [abro_mg(400)], {})
	f.indicator == "critical"
	f.suggestions[0].targetDailyDoseMg == 100
}

test_200_mg_is_the_maximum if {
	fired([abro_mg(200)], {}) == set()
}

# --- renal-moderate-dose

test_egfr_59_initiation_100_mg_fires if {
	f := finding("abrocitinib.renal-moderate-dose", [abro_mg(100)], egfr(59))
	f.suggestions[0].targetDailyDoseMg == 50
	f.text.lab.value == 59 # the card says "with eGFR 59"
	f.text.order.dailyDoseMg == 100 # "Abrocitinib (100 mg/day)"
	f.text.phase == "initiation" # "Ordered: 100 mg/day (initiation)"
	[f.text.startMgPerDay, f.text.maxMgPerDay] == [50, 100] # "use 50 mg once daily (may increase to 100 mg)"
}

test_egfr_59_initiation_50_mg_does_not_fire if {
	fired([abro_mg(50)], egfr(59)) == set()
}

test_egfr_59_continuation_100_mg_does_not_fire if {
	fired([t.continuation(abro_mg(100), 200)], egfr(59)) == set()
}

test_egfr_59_continuation_200_mg_fires if {
	f := finding("abrocitinib.renal-moderate-dose", [t.continuation(abro_mg(200), 200)], egfr(59))
	f.text.phase == "continuation" # the card says "Ordered: 200 mg/day (continuation)"
}

test_egfr_60_does_not_fire if {
	fired([abro_mg(100)], egfr(60)) == set()
}

test_egfr_30_fires_moderate_not_severe if {
	ids := fired([abro_mg(100)], egfr(30))
	ids == {"abrocitinib.renal-moderate-dose"}
}

test_egfr_29_9_is_severe if {
	ids := fired([abro_mg(100)], egfr(29.9))
	"abrocitinib.renal-severe" in ids
	not "abrocitinib.renal-moderate-dose" in ids
}

test_renal_moderate_unknown_dose_states_maximum if {
	f := finding("abrocitinib.renal-moderate-dose", [abro_unknown_dose], egfr(45))
	not "dailyDoseMg" in object.keys(f.text.order) # the card says "dose not verifiable"
	f.text.maxMgPerDay == 100 # "(may increase to 100 mg)"
}

# --- CYP2C19 poor metabolizer

test_poor_metabolizer_text_fires if {
	labs := t.with_labs({"cyp2c19": t.coded("cyp2c19", "http://loinc.org|LA-x", "CYP2C19 poor metabolizer", 800)})
	f := finding("abrocitinib.cyp2c19-poor-metabolizer", [abro_mg(100)], {"labs": labs})
	f.text.lab.valueDisplay == "CYP2C19 poor metabolizer" # the card says "CYP2C19 result: **CYP2C19 poor metabolizer**"
	f.text.order.dailyDoseMg == 100 # "Abrocitinib (100 mg/day)"
	f.text.phase == "initiation" # "Ordered: 100 mg/day (initiation)"
	[f.text.startMgPerDay, f.text.maxMgPerDay] == [50, 100] # "use 50 mg once daily", "increasing to 100 mg"
}

test_poor_metabolizer_by_code_alone_fires if {
	# a coded result without text, in the value set by its code (the facts
	# layer's membership)
	lab := object.union(object.remove(t.coded("cyp2c19", "http://loinc.org|LA-x", "", 800), ["valueText", "valueDisplay"]), {"valueSets": ["cyp2c19-poor-metabolizer"]})
	f := finding("abrocitinib.cyp2c19-poor-metabolizer", [t.continuation(abro_mg(200), 200)], {"labs": t.with_labs({"cyp2c19": lab})})
	not "valueDisplay" in object.keys(f.text.lab) # the card says "CYP2C19 result: **poor metabolizer**"
	f.text.phase == "continuation" # "Ordered: 200 mg/day (continuation)"
}

test_poor_metabolizer_diplotype_fires if {
	# as the facts give it: valueText " cyp2c19 2 3 " has lost the
	# diplotype's * and /; the rule reads valueDisplay
	lab := t.coded("cyp2c19", "http://loinc.org|LA-x", "CYP2C19 *2/*3", 800)
	lab.valueText == " cyp2c19 2 3 "
	"abrocitinib.cyp2c19-poor-metabolizer" in fired([abro_mg(100)], {"labs": t.with_labs({"cyp2c19": lab})})
}

test_one_no_function_allele_does_not_fire if {
	labs := t.with_labs({"cyp2c19": t.coded("cyp2c19", "http://loinc.org|LA-x", "*1/*2", 800)})
	not "abrocitinib.cyp2c19-poor-metabolizer" in fired([abro_mg(100)], {"labs": labs})
}

test_intermediate_metabolizer_does_not_fire if {
	labs := t.with_labs({"cyp2c19": t.coded("cyp2c19", "http://loinc.org|LA-x", "cyp2c19 *1/*2 intermediate metabolizer", 800)})
	fired([abro_mg(100)], {"labs": labs}) == set()
}

# --- strong CYP2C19 inhibitors

test_fluvoxamine_with_100_mg_at_initiation_fires if {
	meds := [abro_mg(100), t.med("flv", "fluvoxamine maleate 100 mg oral tablet")]
	f := finding("abrocitinib.cyp2c19-inhibitor", [abro_mg(100)], {"medications": meds})
	f.text.inhibitors == ["fluvoxamine"] # the card says "with fluvoxamine"
	target_doses(f) == {100} # "Abrocitinib (100 mg/day)"
	[f.text.startMgPerDay, f.text.maxMgPerDay] == [50, 100] # "use 50 mg once daily", "increasing to 100 mg"
	f.suggestions[0].targetDailyDoseMg == 50
}

test_fluoxetine_order_while_abrocitinib_200_active_fires_on_fluoxetine if {
	active := object.union(t.active_target("abrocitinib", 200), {"dailyDoseMg": 200})
	flx := t.draft_med("flx", "fluoxetine 20 mg oral capsule")
	f := finding("abrocitinib.cyp2c19-inhibitor", [flx], {"medications": [flx, active]})
	f.order == "MedicationRequest/flx"
	f.suggestions == []
	f.text.inhibitors == ["fluoxetine"] # the card says "with fluoxetine"
	target_doses(f) == {200} # "Abrocitinib (200 mg/day)"
}

test_cyp2c19_inhibitor_lists_each_dose_once_in_order if {
	active := object.union(t.active_target("abrocitinib", 200), {"dailyDoseMg": 200})
	statement := object.union(active, {"ref": "MedicationStatement/abro"})
	other := object.union(t.draft_med("abro-2", "abrocitinib 50 mg tablet"), {"target": "abrocitinib", "dailyDoseMg": 50})
	unknown := object.union(t.draft_med("abro-3", "abrocitinib tablet"), {"target": "abrocitinib"})
	flx := t.draft_med("flx", "fluoxetine 20 mg oral capsule")
	f := finding("abrocitinib.cyp2c19-inhibitor", [flx], {"medications": [flx, active, statement, other, unknown]})

	# every abrocitinib on the record, which the card lists as "200 mg/day,
	# 50 mg/day, dose not verifiable": each phrase once, sorted (the
	# template's doses and sorted, engine.TestCardFuncsMatchRego)
	count(f.text.targets) == 4
	target_doses(f) == {200, 50, "not verifiable"}
}

test_fluoxetine_with_active_abrocitinib_100_does_not_fire if {
	active := object.union(t.active_target("abrocitinib", 200), {"dailyDoseMg": 100})
	flx := t.draft_med("flx", "fluoxetine 20 mg oral capsule")
	fired([flx], {"medications": [flx, active]}) == set()
}

# --- other interactions

test_fluconazole_fires if {
	meds := [abro_mg(100), t.med("flu", "fluconazole 150 mg oral tablet")]
	f := finding("abrocitinib.cyp2c19-cyp2c9-inhibitor", [abro_mg(100)], {"medications": meds})
	f.indicator == "warning"
}

test_rifampin_fires_cyp_inducer if {
	meds := [abro_mg(100), t.med("rif", "rifampin 300 mg")]
	"abrocitinib.cyp-inducer" in fired([abro_mg(100)], {"medications": meds})
}

test_efavirenz_fires_cyp_inducer if {
	meds := [abro_mg(100), t.med("efv", "efavirenz 600 mg")]
	"abrocitinib.cyp-inducer" in fired([abro_mg(100)], {"medications": meds})
}

# target_doses: the daily doses of the targets a dose card lists.
target_doses(f) := {object.get(x, "dailyDoseMg", "not verifiable") | some x in f.text.targets}
