package labelguard.rules.data_quality_test

import data.labelguard.rules.data_quality
import data.labelguard.testing as t

test_no_issues_no_finding if {
	count(data_quality.findings) == 0 with input as t.input_with([t.order("upadacitinib", 15)], {})
}

test_missing_conditions_key_fires_and_names_the_checks if {
	issues := [{"kind": "missing-key", "key": "conditions"}]
	[f] := [f | some f in data_quality.findings] with input as t.input_with([t.order("upadacitinib", 15)], {"dataIssues": issues})
	f.rule == "data.incomplete"
	f.indicator == "warning"
	contains(f.summary, "conditions")
	contains(f.detail, "`conditions` could not be obtained")
	contains(f.detail, "pregnancy, lactation, TB")
	count(f.summary) <= 140
}

test_several_issues_one_finding if {
	issues := [
		{"kind": "fetch-failed", "key": "observations", "detail": "timeout"},
		{"kind": "dropped", "key": "MedicationRequest", "count": 2},
		{"kind": "paging-capped", "key": "conditions"},
	]
	fs := [f | some f in data_quality.findings] with input as t.input_with([], {"dataIssues": issues})
	count(fs) == 1
	contains(fs[0].detail, "2 invalid resource(s) dropped")
	contains(fs[0].detail, "paging limit")
	contains(fs[0].detail, "lab thresholds")
}

test_unknown_key_still_reported if {
	issues := [{"kind": "missing-key", "key": "somethingElse"}]
	[f] := [f | some f in data_quality.findings] with input as t.input_with([], {"dataIssues": issues})
	contains(f.detail, "somethingElse")
}
