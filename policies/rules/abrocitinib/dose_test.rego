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
}

test_egfr_59_initiation_50_mg_does_not_fire if {
	fired([abro_mg(50)], egfr(59)) == set()
}

test_egfr_59_continuation_100_mg_does_not_fire if {
	fired([t.continuation(abro_mg(100), 200)], egfr(59)) == set()
}

test_egfr_59_continuation_200_mg_fires if {
	"abrocitinib.renal-moderate-dose" in fired([t.continuation(abro_mg(200), 200)], egfr(59))
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
	contains(f.summary, "dose not verifiable")
}

# --- CYP2C19 poor metabolizer

test_poor_metabolizer_text_fires if {
	labs := t.with_labs({"cyp2c19": t.coded("cyp2c19", "http://loinc.org|LA-x", "CYP2C19 poor metabolizer", 800)})
	"abrocitinib.cyp2c19-poor-metabolizer" in fired([abro_mg(100)], {"labs": labs})
}

test_poor_metabolizer_diplotype_fires if {
	labs := t.with_labs({"cyp2c19": t.coded("cyp2c19", "http://loinc.org|LA-x", "cyp2c19 *2/*3", 800)})
	"abrocitinib.cyp2c19-poor-metabolizer" in fired([abro_mg(100)], {"labs": labs})
}

test_intermediate_metabolizer_does_not_fire if {
	labs := t.with_labs({"cyp2c19": t.coded("cyp2c19", "http://loinc.org|LA-x", "cyp2c19 *1/*2 intermediate metabolizer", 800)})
	fired([abro_mg(100)], {"labs": labs}) == set()
}

# --- strong CYP2C19 inhibitors

test_fluvoxamine_with_100_mg_at_initiation_fires if {
	meds := [abro_mg(100), t.med("flv", "fluvoxamine maleate 100 mg oral tablet")]
	f := finding("abrocitinib.cyp2c19-inhibitor", [abro_mg(100)], {"medications": meds})
	contains(f.summary, "fluvoxamine")
	f.suggestions[0].targetDailyDoseMg == 50
}

test_fluoxetine_order_while_abrocitinib_200_active_fires_on_fluoxetine if {
	active := object.union(t.active_target("abrocitinib", 200), {"dailyDoseMg": 200})
	flx := t.draft_med("flx", "fluoxetine 20 mg oral capsule")
	f := finding("abrocitinib.cyp2c19-inhibitor", [flx], {"medications": [flx, active]})
	f.order == "MedicationRequest/flx"
	f.suggestions == []
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
