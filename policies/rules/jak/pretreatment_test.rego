package labelguard.rules.jak_test

import data.labelguard.rules.jak
import data.labelguard.testing as t

pretreatment(orders, extra) := fs if {
	fs := t.by_rule(jak.findings, "jak.pretreatment-incomplete") with input as t.input_with(orders, extra)
}

factor_ids(f) := {x.id | some x in f.factors}

test_complete_workup_does_not_fire if {
	count(pretreatment([t.order("upadacitinib", 15)], {})) == 0
}

test_missing_anc_and_tb_listed_as_factors if {
	[f] := pretreatment([t.order("upadacitinib", 15)], {"labs": t.without_labs(["anc", "tb"])})
	factor_ids(f) == {"anc", "tb"}

	# the summary lists them: they fit in 80 characters
	f.text.names == ["Absolute neutrophil count", "TB screen (IGRA or tuberculin skin test)"]
	count(concat(", ", f.text.names)) <= 80
	[m.evidence | some m in f.text.missing] == [[], []] # no "(last result …)"
	f.indicator == "warning"
	[s] := f.suggestions
	s.kind == "create-lab"
	s.analytes == ["anc", "tb"]
}

test_stale_hbsag_counts_as_missing_with_evidence if {
	[f] := pretreatment([t.order("baricitinib", 2)], {"labs": t.with_labs({"hbsag": t.result("hbsag", "negative", 366)})})
	factor_ids(f) == {"hbv"}
	f.factors[0].evidence[0].reference == "Observation/hbsag"
	f.text.missing[0].evidence[0].time == t.days_ago(366) # the card says "(last result <date>, outside the window)"
}

test_hbsag_at_screening_window_edge_is_present if {
	count(pretreatment([t.order("baricitinib", 2)], {"labs": t.with_labs({"hbsag": t.result("hbsag", "negative", 365)})})) == 0
}

test_only_ast_missing_lists_liver if {
	[f] := pretreatment([t.order("upadacitinib", 15)], {"labs": t.without_labs(["ast"])})
	factor_ids(f) == {"liver"}
	f.suggestions[0].analytes == ["ast"]
}

test_platelets_required_for_abrocitinib_only if {
	labs := t.without_labs(["platelets"])
	[f] := pretreatment([t.order("abrocitinib", 100)], {"labs": labs})
	factor_ids(f) == {"platelets"}
	count(pretreatment([t.order("upadacitinib", 15)], {"labs": labs})) == 0
}

test_pregnancy_test_required_for_woman_of_reproductive_potential if {
	[f] := pretreatment([t.order("upadacitinib", 15)], {"patient": t.patient(30, "female")})
	factor_ids(f) == {"pregnancy-test"}
	f.suggestions[0].analytes == ["hcg"]
}

test_pregnancy_status_within_window_satisfies_pregnancy_test if {
	labs := t.with_labs({"pregnancy-status": t.coded("pregnancy-status", t.sct("60001007"), "not pregnant", 10)})
	count(pretreatment([t.order("upadacitinib", 15)], {"patient": t.patient(30, "female"), "labs": labs})) == 0
}

test_stale_hcg_does_not_satisfy_pregnancy_test if {
	labs := t.with_labs({"hcg": t.result("hcg", "negative", 31)})
	[f] := pretreatment([t.order("upadacitinib", 15)], {"patient": t.patient(30, "female"), "labs": labs})
	factor_ids(f) == {"pregnancy-test"}
}

test_no_pregnancy_test_needed_at_51 if {
	count(pretreatment([t.order("upadacitinib", 15)], {"patient": t.patient(51, "female")})) == 0
}

test_pregnancy_test_needed_at_50 if {
	count(pretreatment([t.order("upadacitinib", 15)], {"patient": t.patient(50, "female")})) == 1
}

test_no_pregnancy_test_needed_for_men if {
	count(pretreatment([t.order("upadacitinib", 15)], {"patient": t.patient(30, "male")})) == 0
}

test_continuation_does_not_fire if {
	o := t.continuation(t.order("upadacitinib", 15), 200)
	count(pretreatment([o], {"labs": {}})) == 0
}

test_everything_missing_summary_fits if {
	[f] := pretreatment([t.order("abrocitinib", 100)], {"labs": {}, "patient": t.patient(30, "female")})
	count(f.factors) == 10

	# the summary gives the count ("10 items missing"), not the list, which
	# is longer than 80 characters, so that it fits
	count(f.text.missing) == 10
	count(concat(", ", f.text.names)) > 80
	count(f.suggestions) == 1
}

test_not_for_ruxolitinib_cream if {
	count(pretreatment([t.order("ruxolitinib-cream", 0)], {"labs": {}})) == 0
}

# The card's summary measures the list of missing items in bytes
# (pretreatment.rego): they are its characters while the displays are
# ASCII.
test_work_up_item_displays_are_ascii if {
	pregnancy_test := jak.pregnancy_test_factor with input as t.input_with([], {"patient": t.patient(30, "female"), "labs": {}})
	count(pregnancy_test) == 1
	every item in array.concat(jak.pretreatment_items, pregnancy_test) {
		regex.match(`^[ -~]+$`, item.display)
	}
}

# Every work-up item a profile names is one of pretreatment_items: an
# unknown item would silently never be asked for.
test_profiles_name_known_work_up_items if {
	items := {item.id | some item in jak.pretreatment_items}
	every p in data.labelguard.profiles {
		every id in object.get(p, "pretreatment", []) {
			id in items
		}
	}
}
