package labelguard.rules.jak_test

import data.labelguard.rules.jak
import data.labelguard.testing as t

upa := t.order("upadacitinib", 15)

fires(id, orders, extra) if count(t.by_rule(jak.findings, id)) == 1 with input as t.input_with(orders, extra)

silent(id, orders, extra) if count(t.by_rule(jak.findings, id)) == 0 with input as t.input_with(orders, extra)

test_anc_just_below_threshold_fires if {
	fires("jak.lab-anc-low", [upa], {"labs": t.with_labs({"anc": t.lab("anc", 0.99, 5)})})
}

test_anc_exactly_threshold_does_not_fire if {
	silent("jak.lab-anc-low", [upa], {"labs": t.with_labs({"anc": t.lab("anc", 1.0, 5)})})
}

test_anc_stale_outside_window_does_not_fire if {
	silent("jak.lab-anc-low", [upa], {"labs": t.with_labs({"anc": t.lab("anc", 0.5, 91)})})
}

test_anc_at_window_edge_fires if {
	fires("jak.lab-anc-low", [upa], {"labs": t.with_labs({"anc": t.lab("anc", 0.5, 90)})})
}

test_anc_missing_does_not_fire if {
	silent("jak.lab-anc-low", [upa], {"labs": t.without_labs(["anc"])})
}

test_anc_low_initiation_says_do_not_initiate if {
	some f in jak.findings with input as t.input_with([upa], {"labs": t.with_labs({"anc": t.lab("anc", 0.8, 5)})})
	f.rule == "jak.lab-anc-low"
	f.indicator == "critical"
	f.order == "MedicationRequest/upadacitinib-order"
	f.text.phase == "initiation" # the card says "do not initiate"
	f.evidence[0].value == 0.8
	f.evidence[0].reference == "Observation/anc"
}

test_anc_low_continuation_says_interrupt if {
	o := t.continuation(upa, 200)
	some f in jak.findings with input as t.input_with([o], {"labs": t.with_labs({"anc": t.lab("anc", 0.8, 5)})})
	f.rule == "jak.lab-anc-low"
	f.text.phase == "continuation" # the card says "interrupt treatment"
}

test_anc_low_not_for_ruxolitinib_cream if {
	silent("jak.lab-anc-low", [t.order("ruxolitinib-cream", 0)], {"labs": t.with_labs({"anc": t.lab("anc", 0.5, 5)})})
}

test_alc_just_below_threshold_fires if {
	fires("jak.lab-alc-low", [t.order("abrocitinib", 100)], {"labs": t.with_labs({"alc": t.lab("alc", 0.49, 5)})})
}

test_alc_exactly_threshold_does_not_fire if {
	silent("jak.lab-alc-low", [t.order("abrocitinib", 100)], {"labs": t.with_labs({"alc": t.lab("alc", 0.5, 5)})})
}

test_hgb_just_below_threshold_fires if {
	fires("jak.lab-hgb-low", [t.order("baricitinib", 2)], {"labs": t.with_labs({"hgb": t.lab("hgb", 7.9, 5)})})
}

test_hgb_exactly_threshold_does_not_fire if {
	silent("jak.lab-hgb-low", [t.order("baricitinib", 2)], {"labs": t.with_labs({"hgb": t.lab("hgb", 8, 5)})})
}

test_hgb_low_one_finding_per_order if {
	orders := [upa, t.order("abrocitinib", 100)]
	fs := t.by_rule(jak.findings, "jak.lab-hgb-low") with input as t.input_with(orders, {"labs": t.with_labs({"hgb": t.lab("hgb", 7, 5)})})
	count(fs) == 2
	{f.order | some f in fs} == {"MedicationRequest/upadacitinib-order", "MedicationRequest/abrocitinib-order"}
}

test_platelets_low_at_initiation_gives_the_initiation_threshold if {
	abro := t.order("abrocitinib", 100)
	some f in jak.findings with input as t.input_with([abro], {"labs": t.with_labs({"platelets": t.lab("platelets", 149, 5)})})
	f.rule == "{drug}.lab-platelets-low"
	f.text.phase == "initiation" # the card says "do not initiate"
	f.text.limit == 150
	f.text.lab.value == 149
}

# A profile without a restart threshold: the card's restart threshold is
# the one it stops at (no profile has one without it, so no scenario
# shows it).
test_platelets_restart_threshold_defaults_to_the_threshold if {
	profiles := json.remove(data.labelguard.profiles, ["abrocitinib/labs/platelets/restartAbove"])
	o := t.continuation(t.order("abrocitinib", 100), 200)
	some f in jak.findings with input as t.input_with([o], {"labs": t.with_labs({"platelets": t.lab("platelets", 40, 5)})})
		with data.labelguard.lib.profiles as profiles
	f.rule == "{drug}.lab-platelets-low"
	f.text.phase == "continuation" # the card says "discontinue"
	f.text.restartAbove == 50
}
