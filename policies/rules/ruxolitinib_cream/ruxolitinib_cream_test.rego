package labelguard.rules.ruxolitinib_cream_test

import data.labelguard.testing as t

cream(extra) := t.target_order("ruxolitinib-cream", object.union({"text": "ruxolitinib 15 mg/g topical cream [opzelura]", "topical": true}, extra))

ids(orders, extra) := s if {
	s := {f.rule | some f in t.drug_findings("ruxolitinib-cream", t.order_packages)} with input as t.input_with(orders, extra)
}

# dispensed: input.dispense for the cream order (t.target_order's ref).
dispensed(d) := {"dispense": {"MedicationRequest/ruxolitinib-cream-order": d}}

finding(id, orders, extra) := f if {
	some f in t.drug_findings("ruxolitinib-cream", t.order_packages) with input as t.input_with(orders, extra)
	f.rule == id
}

test_age_1_not_approved if {
	"ruxolitinib-cream.age-min" in ids([cream({})], {"patient": t.patient(1, "male")})
}

test_age_2_approved if {
	ids([cream({})], {"patient": t.patient(2, "male")}) == set()
}

test_60_g_per_week_is_fine if {
	ids([cream({})], dispensed({"quantity": {"value": 60, "unit": "g"}, "supplyDurationDays": 7})) == set()
}

test_61_g_per_week_fires if {
	f := finding("ruxolitinib-cream.quantity-max", [cream({})], dispensed({"quantity": {"value": 61, "unit": "g"}, "supplyDurationDays": 7}))

	# "61 g per week (61 g over 7 days) exceeds 60 g/week": the summary
	# shows these numbers only, and its template truncates it to 140
	# characters (scenario 085 is this card, held to 140 by
	# scenario.TestCardsInAClinicansWords)
	f.text.excess == {"grams": 61, "days": 7, "per_week": 61}
	f.text.max_per_week == 60
	f.text.max_per_dispense == 100
}

test_120_g_over_14_days_is_fine if {
	ids([cream({})], dispensed({"quantity": {"value": 120, "unit": "g"}, "supplyDurationDays": 14})) == set()
}

test_single_dispense_100_g_without_duration_is_fine_101_fires if {
	ids([cream({})], dispensed({"quantity": {"value": 100, "unit": "g"}})) == set()
	f := finding("ruxolitinib-cream.quantity-max", [cream({})], dispensed({"quantity": {"value": 101, "unit": "g"}}))

	# "101 g in a single dispense without a supply duration"
	f.text.excess == {"grams": 101, "days": null, "per_week": null}
}

test_bsa_21_percent_fires_20_does_not if {
	f := finding("ruxolitinib-cream.bsa-max", [cream({})], {"labs": t.with_labs({"bsa": t.lab("bsa", 21, 5)})})
	f.text.lab.value == 21 # "affected BSA 21 % exceeds the 20 % limit"
	f.text.max == 20
	not "ruxolitinib-cream.bsa-max" in ids([cream({})], {"labs": t.with_labs({"bsa": t.lab("bsa", 20, 5)})})
}

test_hiv_is_immunocompromised if {
	f := finding("ruxolitinib-cream.immunocompromised", [cream({})], {"conditions": [t.condition("hiv", t.icd("B20"), "hiv disease")]})
	[e.reference | some e in f.text.evidence] == ["Condition/hiv"] # "Immunocompromise: hiv disease."
}

test_kidney_transplant_is_immunocompromised if {
	"ruxolitinib-cream.immunocompromised" in ids([cream({})], {"conditions": [t.condition("ktx", t.icd("Z940"), "kidney transplant status")]})
}

test_systemic_tacrolimus_is_immunocompromised if {
	meds := [cream({}), t.med("tac", "tacrolimus 1 mg oral capsule")]
	"ruxolitinib-cream.immunocompromised" in ids([cream({})], {"medications": meds})
}

test_biologic_is_not_immunocompromise if {
	meds := [cream({}), t.med("dupi", "dupilumab 300 mg injection")]
	not "ruxolitinib-cream.immunocompromised" in ids([cream({})], {"medications": meds})
}

test_reassess_after_8_weeks if {
	f := finding("ruxolitinib-cream.reassess", [t.continuation(cream({}), 57)], {})
	f.indicator == "info"

	# "used for 8 weeks", "active since <date> (57 days)", "within 8 weeks"
	f.text.weeks == 8
	f.text.days == 57
	f.text.since == t.days_ago(57)
	f.text.reassess_weeks == 8
}

test_no_reassess_at_8_weeks if {
	not "ruxolitinib-cream.reassess" in ids([t.continuation(cream({}), 56)], {})
}

test_no_reassess_at_initiation if {
	not "ruxolitinib-cream.reassess" in ids([cream({})], {})
}
