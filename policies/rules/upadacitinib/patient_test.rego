package labelguard.rules.upadacitinib_test

import data.labelguard.testing as t

test_age_11_not_approved if {
	f := finding("upadacitinib.age-min", [upa(15)], {"patient": t.patient(11, "male"), "labs": t.with_labs({"weight": t.lab("weight", 35, 10)})})
	f.indicator == "critical"
}

test_age_12_approved if {
	labs := t.with_labs({"weight": t.lab("weight", 45, 10)})
	fired([upa(15)], {"patient": t.patient(12, "male"), "labs": labs}) == set()
}

test_age_unknown_does_not_fire_age_min if {
	not "upadacitinib.age-min" in fired([upa(15)], {"patient": {"ref": "Patient/p1"}})
}

test_adolescent_under_40_kg_fires if {
	labs := t.with_labs({"weight": t.lab("weight", 39.9, 10)})
	f := finding("upadacitinib.weight-min", [upa(15)], {"patient": t.patient(14, "female"), "labs": labs})
	f.evidence[0].value == 14 # the age
	f.evidence[1].value == 39.9 # the weight
	f.text.age == 14 # the card says "in a 14-year-old"
	f.text.weight.value == 39.9 # "latest weight 39.9 kg on …"
	f.text.minWeightKg == 40 # "dosing studied at ≥ 40 kg"
}

test_adolescent_at_40_kg_does_not_fire if {
	labs := t.with_labs({"weight": t.lab("weight", 40, 10)})
	not "upadacitinib.weight-min" in fired([upa(15)], {"patient": t.patient(14, "female"), "labs": labs})
}

test_adolescent_without_recent_weight_fires if {
	labs := t.with_labs({"weight": t.lab("weight", 55, 91)})
	f := finding("upadacitinib.weight-min", [upa(15)], {"patient": t.patient(17, "female"), "labs": labs})
	f.text.weight == null # the card says "no weight recorded within 90 days"
	f.text.windowDays == 90
}

test_adult_without_weight_does_not_fire if {
	not "upadacitinib.weight-min" in fired([upa(15)], {"patient": t.patient(18, "female")})
}

test_esrd_by_dialysis_code if {
	c := t.condition("hd", t.icd("Z992"), "dependence on renal dialysis")
	f := finding("upadacitinib.renal-esrd", [upa(15)], {"conditions": [c]})
	f.evidence[0].reference == "Condition/hd"
	f.text.evidence == f.evidence # the card says "End-stage renal disease: dependence on renal dialysis"
	f.text.egfrBelow == 15 # "(eGFR < 15 or dialysis)"
}

test_esrd_by_snomed if {
	c := t.condition("esrd", t.sct("46177005"), "end-stage renal disease")
	"upadacitinib.renal-esrd" in fired([upa(15)], {"conditions": [c]})
}

test_resolved_esrd_does_not_fire if {
	c := t.resolved_condition("esrd", t.sct("46177005"), "end-stage renal disease")
	not "upadacitinib.renal-esrd" in fired([upa(15)], {"conditions": [c]})
}

test_rifampin_fires_cyp3a4_inducer if {
	meds := [upa(15), t.med("rif", "rifampin 300 mg oral capsule")]
	f := finding("upadacitinib.cyp3a4-inducer", [upa(15)], {"medications": meds})
	f.text.names == ["rifampin"] # the card (jak, written by its template) names it
}

test_st_johns_wort_fires_cyp3a4_inducer if {
	meds := [upa(15), t.med("sjw", "St. John's Wort 300 MG capsule")]
	"upadacitinib.cyp3a4-inducer" in fired([upa(15)], {"medications": meds})
}

test_carbamazepine_order_while_upadacitinib_active_fires_on_carbamazepine if {
	cbz := t.draft_med("cbz", "carbamazepine 200 mg oral tablet")
	f := finding("upadacitinib.cyp3a4-inducer", [cbz], {"medications": [cbz, t.active_target("upadacitinib", 50)]})
	f.order == "MedicationRequest/cbz"
}
