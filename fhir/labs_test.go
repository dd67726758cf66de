package fhir

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/labelguard/labelguard/facts"
)

func obs(id, status, loinc, value, when string) string {
	s := `{"resourceType":"Observation","id":"` + id + `","status":"` + status + `","subject":{"reference":"Patient/p1"},` +
		`"code":{"coding":[{"system":"http://loinc.org","code":"` + loinc + `"}]}`
	if value != "" {
		s += "," + value
	}
	if when != "" {
		s += "," + when
	}
	return s + "}"
}

func qty(v, unit string) string {
	return `"valueQuantity":{"value":` + v + `,"unit":"` + unit + `","system":"http://unitsofmeasure.org","code":"` + unit + `"}`
}

func TestLabs(t *testing.T) {
	t.Parallel()
	eff := func(s string) string { return `"effectiveDateTime":"` + s + `"` }
	tests := []struct {
		name   string
		obs    []string
		want   map[string]facts.Lab
		issues []facts.DataIssue
	}{
		{"ANC /uL to 10*9/L", []string{obs("o1", "final", "751-8", qty("1500", "/uL"), eff("2026-11-20T08:00:00Z"))},
			map[string]facts.Lab{"anc": {Ref: "Observation/o1", Code: "http://loinc.org|751-8", Value: f64(1.5), Unit: "10*9/L", Time: "2026-11-20T08:00:00Z", AgeDays: 3.1666666667}}, nil},
		{"hemoglobin g/L to g/dL", []string{obs("o1", "amended", "718-7", qty("125", "g/L"), eff("2026-11-22"))},
			map[string]facts.Lab{"hgb": {Ref: "Observation/o1", Code: "http://loinc.org|718-7", Value: f64(12.5), Unit: "g/dL", Time: "2026-11-22T00:00:00Z", AgeDays: 1.5}}, nil},
		{"latest wins, future and preliminary ignored", []string{
			obs("old", "final", "718-7", qty("10", "g/dL"), eff("2026-10-01")),
			obs("new", "corrected", "718-7", qty("11", "g/dL"), eff("2026-11-01")),
			obs("future", "final", "718-7", qty("12", "g/dL"), eff("2026-11-24")),
			obs("prelim", "preliminary", "718-7", qty("13", "g/dL"), eff("2026-11-22")),
			obs("older", "final", "718-7", qty("9", "g/dL"), eff("2026-09-01")),
		}, map[string]facts.Lab{"hgb": {Ref: "Observation/new", Code: "http://loinc.org|718-7", Value: f64(11), Unit: "g/dL", Time: "2026-11-01T00:00:00Z", AgeDays: 22.5}}, nil},
		{"time: period end, then issued, partial dates", []string{
			obs("p", "final", "777-3", qty("200", "10*3/uL"), `"effectivePeriod":{"start":"2026-11-01","end":"2026-11-02T00:00:00Z"}`),
			obs("i", "final", "33914-3", qty("55", "mL/min/{1.73_m2}"), `"issued":"2026-11-03T00:00:00.000+00:00"`),
			obs("y", "final", "29463-7", qty("150", "[lb_av]"), eff("2026-11")),
		}, map[string]facts.Lab{
			"platelets": {Ref: "Observation/p", Code: "http://loinc.org|777-3", Value: f64(200), Unit: "10*9/L", Time: "2026-11-02T00:00:00Z", AgeDays: 21.5},
			"egfr":      {Ref: "Observation/i", Code: "http://loinc.org|33914-3", Value: f64(55), Unit: "mL/min/{1.73_m2}", Time: "2026-11-03T00:00:00Z", AgeDays: 20.5},
			"weight":    {Ref: "Observation/y", Code: "http://loinc.org|29463-7", Value: f64(68.0388555), Unit: "kg", Time: "2026-11-01T00:00:00Z", AgeDays: 22.5},
		}, nil},
		{"unit not convertible: dropped, earlier result used", []string{
			obs("ok", "final", "751-8", qty("2.0", "10*9/L"), eff("2026-11-01")),
			obs("bad", "final", "751-8", qty("2000", "cells/hpf"), eff("2026-11-10")),
		}, map[string]facts.Lab{"anc": {Ref: "Observation/ok", Code: "http://loinc.org|751-8", Value: f64(2), Unit: "10*9/L", Time: "2026-11-01T00:00:00Z", AgeDays: 22.5}},
			[]facts.DataIssue{{Kind: "dropped", Key: "observations", Count: 1, Detail: "unit not convertible for anc"}}},
		{"TB result from codes, text, string, interpretation", []string{
			obs("t1", "final", "71773-6", `"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"260385009"}]}`, eff("2026-01-01")),
		}, map[string]facts.Lab{"tb": {Ref: "Observation/t1", Code: "http://loinc.org|71773-6", Result: "negative", Time: "2026-01-01T00:00:00Z", AgeDays: 326.5}}, nil},
		{"pregnancy status coded", []string{
			obs("pg", "final", "82810-3", `"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"77386006","display":"Pregnant"}]}`, eff("2026-11-20")),
		}, map[string]facts.Lab{"pregnancy-status": {Ref: "Observation/pg", Code: "http://loinc.org|82810-3",
			ValueCodes: []string{"http://snomed.info/sct|77386006"}, ValueText: " pregnant ", ValueDisplay: "Pregnant", ValueSets: &[]string{}, Time: "2026-11-20T00:00:00Z", AgeDays: 3.5}}, nil},
		// valueText is for word matching and loses punctuation; valueDisplay
		// keeps the value as recorded, for the card and for patterns (a
		// CYP2C19 diplotype "*2/*3").
		{"coded value as a string, kept as recorded", []string{
			obs("pg", "final", "82810-3", `"valueString":" Pregnant (*confirmed*) "`, eff("2026-11-20")),
		}, map[string]facts.Lab{"pregnancy-status": {Ref: "Observation/pg", Code: "http://loinc.org|82810-3",
			ValueText: " pregnant confirmed ", ValueDisplay: "Pregnant (*confirmed*)", ValueSets: &[]string{}, Time: "2026-11-20T00:00:00Z", AgeDays: 3.5}}, nil},
		{"coded value: its text before a coding's display", []string{
			obs("pg", "final", "82810-3", `"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"77386006","display":"Pregnant"}],"text":"Pregnant, 8/40"}`, eff("2026-11-20")),
		}, map[string]facts.Lab{"pregnancy-status": {Ref: "Observation/pg", Code: "http://loinc.org|82810-3",
			ValueCodes: []string{"http://snomed.info/sct|77386006"}, ValueText: " pregnant 8 40 pregnant ", ValueDisplay: "Pregnant, 8/40", ValueSets: &[]string{}, Time: "2026-11-20T00:00:00Z", AgeDays: 3.5}}, nil},
		{"LOINC and SNOMED CT written as OIDs", []string{
			`{"resourceType":"Observation","id":"oid","status":"final","code":{"coding":[{"system":"urn:oid:2.16.840.1.113883.6.1","code":"71773-6"}]},` +
				`"valueCodeableConcept":{"coding":[{"system":"urn:oid:2.16.840.1.113883.6.96","code":"10828004"}]},"effectiveDateTime":"2026-01-01"}`,
		}, map[string]facts.Lab{"tb": {Ref: "Observation/oid", Code: "http://loinc.org|71773-6", Result: "positive", Time: "2026-01-01T00:00:00Z", AgeDays: 326.5}}, nil},
		{"TB by code text, no LOINC", []string{
			`{"resourceType":"Observation","id":"q","status":"final","code":{"text":"QuantiFERON-TB Gold Plus"},"valueString":"Not detected","effectiveDateTime":"2026-06-01"}`,
		}, map[string]facts.Lab{"tb": {Ref: "Observation/q", Result: "negative", Time: "2026-06-01T00:00:00Z", AgeDays: 175.5}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := mustDerive(t, Request{Hook: "patient-view", Prefetch: map[string]json.RawMessage{
				"patient": json.RawMessage(testPatient), "observations": searchset(tc.obs...)}})
			if diff := cmp.Diff(tc.want, got.Input.Labs, cmpopts.EquateApprox(0, 1e-6)); diff != "" {
				t.Errorf("labs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.issues, got.Input.DataIssues); diff != "" {
				t.Errorf("issues (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQualitative(t *testing.T) {
	t.Parallel()
	s := func(v string) *string { return &v }
	tests := []struct {
		r    resource
		want string
	}{
		{resource{ValueCodeableConcept: &codeableConcept{Coding: codingList{{System: "http://snomed.info/sct", Code: "10828004"}}}}, "positive"},
		{resource{ValueCodeableConcept: &codeableConcept{Coding: codingList{{System: "http://snomed.info/sct", Code: "82334004"}}}}, "indeterminate"},
		{resource{ValueCodeableConcept: &codeableConcept{Coding: codingList{{System: "http://loinc.org", Code: "LA6576-8"}}}}, "positive"},
		{resource{ValueCodeableConcept: &codeableConcept{Coding: codingList{{System: "http://loinc.org", Code: "LA6577-6"}}}}, "negative"},
		{resource{ValueCodeableConcept: &codeableConcept{Text: "Non-reactive"}}, "negative"},
		{resource{ValueCodeableConcept: &codeableConcept{Text: "Reactive"}}, "positive"},
		{resource{ValueString: s("DETECTED")}, "positive"},
		{resource{ValueString: s("not detected")}, "negative"},
		{resource{ValueString: s("Indeterminate")}, "indeterminate"},
		{resource{Interpretation: ccList{{Coding: codingList{{Code: "POS"}}}}}, "positive"},
		{resource{Interpretation: ccList{{Coding: codingList{{Code: "NEG"}}}}}, "negative"},
		{resource{ValueString: s("see note")}, ""},
	}
	for i, tc := range tests {
		if got := qualitative(&tc.r); got != tc.want {
			t.Errorf("case %d: %q, want %q", i, got, tc.want)
		}
	}
	// STU3 interpretation is a single CodeableConcept.
	var r resource
	if err := json.Unmarshal([]byte(`{"interpretation":{"coding":[{"code":"NEG"}]}}`), &r); err != nil || qualitative(&r) != "negative" {
		t.Errorf("STU3 interpretation: %v %q", err, qualitative(&r))
	}
}
