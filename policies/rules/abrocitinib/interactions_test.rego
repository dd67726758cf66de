package labelguard.rules.abrocitinib_test

import data.labelguard.testing as t

abro := t.order("abrocitinib", 100)

antiplatelet(orders, meds) := fs if {
	fs := t.by_rule(t.drug_findings("abrocitinib", t.order_packages), "abrocitinib.antiplatelet") with input as t.input_with(orders, {"medications": array.concat(orders, meds)})
}

test_clopidogrel_active_at_initiation_fires_on_abrocitinib_order if {
	[f] := antiplatelet([abro], [t.med("clop", "clopidogrel 75 mg oral tablet")])
	f.indicator == "critical"
	f.order == "MedicationRequest/abrocitinib-order"
	f.text.interacting == ["clopidogrel"] # the card says "contraindicated with clopidogrel"
	f.text.windowMonths == 3 # "during the first 3 months"
	f.text.lowDoseAspirinMg == 81 # "other than low-dose aspirin (≤ 81 mg/day)"
	f.text.daysSinceStart < 1 # "Abrocitinib: initiation."
	f.evidence[0].reference == "MedicationRequest/clop"
}

test_clopidogrel_by_rxnorm_code_fires if {
	m := object.union(t.med("clop", "plv"), {"codes": ["http://www.nlm.nih.gov/research/umls/rxnorm|32968"]})
	count(antiplatelet([abro], [m])) == 1
}

test_clopidogrel_draft_in_same_request_fires_once_on_abrocitinib if {
	clop := t.draft_med("clop", "clopidogrel 75 mg oral tablet")

	# both orders are orders of interest: the card goes on abrocitinib only
	fs := antiplatelet([abro, clop], [])
	count(fs) == 1
	fs[0].order == "MedicationRequest/abrocitinib-order"
}

test_clopidogrel_order_while_abrocitinib_started_30_days_ago_fires_on_clopidogrel if {
	clop := t.draft_med("clop", "clopidogrel 75 mg oral tablet")
	[f] := antiplatelet([clop], [t.active_target("abrocitinib", 30)])
	f.order == "MedicationRequest/clop"
	f.text.daysSinceStart == 30 # the card says "started <date> (30 days ago)"
	f.text.started == t.days_ago(30)
}

test_clopidogrel_order_while_abrocitinib_started_120_days_ago_does_not_fire if {
	clop := t.draft_med("clop", "clopidogrel 75 mg oral tablet")
	count(antiplatelet([clop], [t.active_target("abrocitinib", 120)])) == 0
}

test_continuation_started_89_days_ago_fires if {
	o := t.continuation(abro, 89)
	count(antiplatelet([o], [t.med("pras", "prasugrel 10 mg")])) == 1
}

test_continuation_started_90_days_ago_does_not_fire if {
	o := t.continuation(abro, 90)
	count(antiplatelet([o], [t.med("pras", "prasugrel 10 mg")])) == 0
}

test_aspirin_81_mg_does_not_fire if {
	asa := object.union(t.med("asa", "aspirin 81 mg oral tablet"), {"dailyDoseMg": 81})
	count(antiplatelet([abro], [asa])) == 0
}

test_aspirin_325_mg_fires if {
	asa := object.union(t.med("asa", "aspirin 325 mg oral tablet"), {"dailyDoseMg": 325})
	[f] := antiplatelet([abro], [asa])
	f.text.interacting == ["aspirin 325 mg/day"] # the card says "contraindicated with aspirin 325 mg/day"
}

test_aspirin_81_mg_twice_daily_fires if {
	asa := object.union(t.med("asa", "aspirin 81 mg oral tablet"), {"dailyDoseMg": 162})
	count(antiplatelet([abro], [asa])) == 1
}

test_aspirin_as_needed_81_mg_strength_counts_as_low_dose if {
	asa := object.union(t.med("asa", "aspirin 81 mg chewable tablet"), {"asNeeded": true, "strengthMg": 81})
	count(antiplatelet([abro], [asa])) == 0
}

test_aspirin_as_needed_325_mg_strength_fires if {
	asa := object.union(t.med("asa", "aspirin 325 mg oral tablet"), {"asNeeded": true})
	[f] := antiplatelet([abro], [asa])
	f.text.interacting == ["aspirin 325 mg"] # the strength, without a daily dose
}

test_aspirin_unknown_dose_and_strength_fires if {
	[f] := antiplatelet([abro], [t.med("asa", "aspirin")])
	f.text.interacting == ["aspirin of unknown dose"]
}

test_aspirin_and_antiplatelets_are_named_in_order if {
	asa := object.union(t.med("asa", "aspirin 325 mg oral tablet"), {"dailyDoseMg": 325})
	[f] := antiplatelet([abro], [t.med("clop", "clopidogrel 75 mg"), asa, t.med("agg", "aggrenox 25 mg/200 mg capsule")])
	f.text.interacting == ["aggrenox", "aspirin 325 mg/day", "clopidogrel"]
}

test_mesalamine_5_asa_is_not_aspirin if {
	count(antiplatelet([abro], [t.med("mes", "5-asa mesalamine 1.2 g")])) == 0
}

test_two_antiplatelets_one_finding if {
	[f] := antiplatelet([abro], [t.med("clop", "clopidogrel 75 mg"), t.med("cil", "cilostazol 100 mg")])
	f.text.interacting == ["cilostazol", "clopidogrel"] # the card says "contraindicated with cilostazol, clopidogrel"
	count(f.evidence) == 2
}

test_antiplatelet_not_for_upadacitinib if {
	count(antiplatelet([t.order("upadacitinib", 15)], [t.med("clop", "clopidogrel 75 mg")])) == 0
}

test_clopidogrel_order_without_abrocitinib_does_not_fire if {
	count(antiplatelet([t.draft_med("clop", "clopidogrel 75 mg")], [])) == 0
}
