# Tests across every rule package, as a call evaluates them: the engine
# evaluates each package (discovered from its package METADATA) and
# applies the site's rule settings in Go (engine tests).
package labelguard.rules_test

import data.labelguard.testing as t

# order_findings and monitoring_findings: every package's findings, as the
# order services and the monitoring service see them.
# Rule IDs made from a template are resolved as the engine resolves them.
order_findings := {object.union(f, {"rule": t.rule_id(f)}) |
	some p in t.order_packages
	some f in data.labelguard.rules[p].findings
}

monitoring_findings := {object.union(f, {"rule": t.rule_id(f)}) |
	some p in t.view_packages
	some f in data.labelguard.rules[p].findings
}

low_anc := {"labs": t.with_labs({"anc": t.lab("anc", 0.5, 5)})}

test_order_findings_include_jak_rules if {
	some f in order_findings with input as t.input_with([t.order("upadacitinib", 15)], low_anc)
	f.rule == "jak.lab-anc-low"
}

test_order_findings_include_data_quality if {
	some f in order_findings with input as t.input_with([t.order("upadacitinib", 15)], {"dataIssues": [{"kind": "missing-key", "key": "conditions"}]})
	f.rule == "data.incomplete"
}

test_no_orders_no_findings if {
	count(order_findings) == 0 with input as t.input_with([], {})
}

# Every finding of a rich case keeps the card contract: summary at most 140
# characters, a known indicator, the order it concerns.
test_findings_keep_the_card_contract if {
	fs := order_findings with input as t.input_with([t.order("abrocitinib", 400)], {
		"labs": {},
		"patient": t.patient(70, "female"),
		"medications": [t.order("abrocitinib", 400), t.med("clop", "clopidogrel 75 mg")],
	})
	count(fs) > 2
	every f in fs {
		# a card written by its METADATA (custom.card) has its summary
		# rendered after evaluation; the Go tests check those
		# (scenario.TestCardsInAClinicansWords, TestCardTextIsCurrent)
		count(object.get(f, "summary", "")) <= 140
		f.indicator in {"critical", "warning", "info"}
		card_text(f)
		is_array(f.suggestions)
	}
}

# card_text: a finding gives its detail, or the text values that its
# rule's card template (METADATA custom.card) renders after evaluation.
card_text(f) if is_string(f.detail)

card_text(f) if {
	not "detail" in object.keys(f)
	is_object(f.text)
}

# A patient with nearly every problem at once: every finding keeps the
# card contract, and no rule yields two findings for one order.
sink_orders := [
	t.order("upadacitinib", 45),
	object.remove(t.order("abrocitinib", 0), ["dailyDoseMg"]),
	t.order("baricitinib", 8),
	t.target_order("ruxolitinib-cream", {"text": "ruxolitinib 15 mg/g topical cream", "topical": true}),
	t.draft_med("clop", "clopidogrel 75 mg oral tablet"),
]

sink_meds := array.concat(sink_orders, [
	t.med("tofa", "tofacitinib 5 mg oral tablet"),
	t.med("dupi", "dupilumab 300 mg injection"),
	t.med("mtx", "methotrexate 2.5 mg oral tablet"),
	t.med("keto", "ketoconazole 200 mg oral tablet"),
	t.med("rif", "rifampin 300 mg oral capsule"),
	t.med("flv", "fluvoxamine 100 mg oral tablet"),
	t.med("flu", "fluconazole 150 mg oral tablet"),
	t.med("pro", "probenecid 500 mg oral tablet"),
	t.med("asa", "aspirin 325 mg oral tablet"),
	object.union(t.draft_med("mmr", "measles, mumps and rubella vaccine live"), {"codes": [t.cvx("03")]}),
])

sink_conditions := [
	t.condition("preg", t.icd("Z3400"), "pregnancy"),
	t.condition("lact", t.icd("Z391"), "lactating mother"),
	t.condition("tb", t.icd("A150"), "tuberculosis of lung"),
	t.condition("hbv", t.icd("B181"), "chronic hepatitis b"),
	t.condition("sepsis", t.icd("A419"), "sepsis"),
	t.condition("liver", t.icd("K7291"), "hepatic failure with coma"),
	t.condition("esrd", t.icd("N186"), "end stage renal disease"),
	t.condition("hiv", t.icd("B20"), "hiv disease"),
	t.condition("smk", t.icd("F17210"), "nicotine dependence, cigarettes"),
	t.resolved_condition("pe", t.icd("I2699"), "pulmonary embolism"),
	t.resolved_condition("ca", t.icd("C509"), "malignant neoplasm of breast"),
	t.condition("mi", t.icd("I252"), "old myocardial infarction"),
	t.condition("dm", t.icd("E119"), "type 2 diabetes mellitus"),
]

sink_input := t.input_with(sink_orders, {
	"dispense": {"MedicationRequest/ruxolitinib-cream-order": {"quantity": {"value": 200, "unit": "g"}, "supplyDurationDays": 7}},
	"patient": t.patient(70, "female"),
	"medications": sink_meds,
	"conditions": sink_conditions,
	"allergies": [{"ref": "AllergyIntolerance/a", "text": "olumiant", "active": true}],
	"immunizations": [{"ref": "Immunization/v", "codes": [t.cvx("21")], "text": "varicella", "status": "completed", "date": t.days_ago(10)}],
	"labs": {
		"anc": t.lab("anc", 0.4, 3), "alc": t.lab("alc", 0.2, 3), "hgb": t.lab("hgb", 6.5, 3),
		"platelets": t.lab("platelets", 40, 3), "egfr": t.lab("egfr", 12, 3),
		"hcg": t.result("hcg", "positive", 3), "hbsag": t.result("hbsag", "positive", 3),
		"tb": t.result("tb", "positive", 3), "bsa": t.lab("bsa", 40, 3),
		"cyp2c19": t.coded("cyp2c19", "http://loinc.org|x", "cyp2c19 poor metabolizer", 300),
	},
	"dataIssues": [{"kind": "missing-key", "key": "immunizations"}, {"kind": "dropped", "key": "observations", "count": 3}],
})

test_every_finding_summary_fits_and_one_per_rule_and_order if {
	fs := order_findings with input as sink_input
	count(fs) > 30
	every f in fs {
		# a card written by its METADATA (custom.card) has its summary
		# rendered after evaluation; the Go tests check those
		# (scenario.TestCardsInAClinicansWords, TestCardTextIsCurrent)
		count(object.get(f, "summary", "")) <= 140
		f.indicator in {"critical", "warning", "info"}
		count([g | some g in fs; g.rule == f.rule; object.get(g, "order", "") == object.get(f, "order", "")]) == 1
	}
}

test_kitchen_sink_fires_the_expected_rules if {
	fired := {f.rule | some f in order_findings} with input as sink_input
	expected := {
		"jak.allergy", "jak.concomitant-jak", "jak.concomitant-immunomodulator", "jak.pregnancy", "jak.lactation",
		"jak.live-vaccine", "jak.lab-anc-low", "jak.lab-alc-low", "jak.lab-hgb-low", "jak.pretreatment-incomplete",
		"jak.tb-active", "jak.hepatitis-active", "jak.serious-infection", "jak.hepatic-severe", "jak.risk-factors",
		"jak.zoster-vaccine-missing", "upadacitinib.dose-max", "upadacitinib.dose-age65", "upadacitinib.renal-esrd",
		"upadacitinib.cyp3a4-inhibitor", "upadacitinib.cyp3a4-inducer", "abrocitinib.antiplatelet",
		"abrocitinib.lab-platelets-low", "abrocitinib.renal-severe", "abrocitinib.cyp2c19-poor-metabolizer",
		"abrocitinib.cyp2c19-inhibitor", "abrocitinib.cyp2c19-cyp2c9-inhibitor", "abrocitinib.cyp-inducer",
		"baricitinib.jurisdiction", "baricitinib.dose-max", "baricitinib.dose-risk", "baricitinib.renal-severe",
		"baricitinib.oat3-inhibitor", "ruxolitinib-cream.quantity-max", "ruxolitinib-cream.bsa-max",
		"ruxolitinib-cream.immunocompromised", "data.incomplete",
	}
	missing := expected - fired
	count(missing) == 0
}

test_monitoring_findings_have_no_orders if {
	inp := t.input_with([], {
		"hook": "patient-view",
		"medications": [t.active_target("abrocitinib", 100)],
		"labs": {"anc": t.lab("anc", 0.4, 3), "platelets": t.lab("platelets", 40, 3)},
	})
	fs := monitoring_findings with input as inp
	{f.rule | some f in fs} == {"jak.lab-anc-low", "abrocitinib.lab-platelets-low", "monitoring.lipids-due", "monitoring.tb-due"}
	every f in fs {
		not "order" in object.keys(f)

		# a card written by its METADATA (custom.card) has its summary
		# rendered after evaluation; the Go tests check those
		# (scenario.TestCardsInAClinicansWords, TestCardTextIsCurrent)
		count(object.get(f, "summary", "")) <= 140
	}
}
