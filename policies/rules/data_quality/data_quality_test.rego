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

	# the summary names the keys, "Patient data incomplete (conditions): ...",
	# and nothing else that varies: its template truncates it to 140
	# characters (scenario 121 is this card, held to 140 by
	# scenario.TestCardsInAClinicansWords)
	f.text.keys == ["conditions"]

	# "- `conditions` could not be obtained"
	f.text.issues == [{"key": "conditions", "kind": "missing-key", "count": 0, "detail": ""}]

	# "Checks that could not be made or may be incomplete:\n- pregnancy, lactation, TB, ..."
	count(f.text.checks) == 1
	startswith(f.text.checks[0], "pregnancy, lactation, TB")
}

test_several_issues_one_finding if {
	issues := [
		{"kind": "fetch-failed", "key": "observations", "detail": "timeout"},
		{"kind": "dropped", "key": "MedicationRequest", "count": 2},
		{"kind": "paging-capped", "key": "conditions"},
	]
	fs := [f | some f in data_quality.findings] with input as t.input_with([], {"dataIssues": issues})
	count(fs) == 1

	# one line each, in their order: "- `observations`: the fetch failed
	# (timeout)", "- `MedicationRequest`: 2 invalid resource(s) dropped",
	# "- `conditions`: the search was cut short by the paging limit"
	fs[0].text.issues == [
		{"key": "observations", "kind": "fetch-failed", "count": 0, "detail": "timeout"},
		{"key": "MedicationRequest", "kind": "dropped", "count": 2, "detail": ""},
		{"key": "conditions", "kind": "paging-capped", "count": 0, "detail": ""},
	]
	fs[0].text.keys == ["MedicationRequest", "conditions", "observations"]

	# the checks of observations ("lab thresholds, ..."), medications and
	# conditions, each once
	count(fs[0].text.checks) == 3
	some c in fs[0].text.checks
	startswith(c, "lab thresholds")
}

test_unknown_key_still_reported if {
	issues := [{"kind": "missing-key", "key": "somethingElse"}]
	[f] := [f | some f in data_quality.findings] with input as t.input_with([], {"dataIssues": issues})
	f.text.issues == [{"key": "somethingElse", "kind": "missing-key", "count": 0, "detail": ""}]

	# no check is known to be affected: the card says "Review the patient
	# record before relying on the absence of other alerts."
	f.text.checks == []
}

# An issue without a key is about "data"; a kind the card has no words
# for is shown as it is ("- `data`: throttled").
test_issue_without_key_and_a_new_kind if {
	issues := [{"kind": "throttled"}]
	[f] := [f | some f in data_quality.findings] with input as t.input_with([], {"dataIssues": issues})
	f.text.keys == ["data"]
	f.text.issues == [{"key": "data", "kind": "throttled", "count": 0, "detail": ""}]
}
