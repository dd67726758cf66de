package engine

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/labelguard/labelguard/facts"
)

// The direct conversion must give the same value, number spellings
// included, as encoding the input to JSON and parsing it back.
func TestInputValueMatchesJSON(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	age := 0
	inputs := []*facts.Input{
		{},
		{
			Version: 1, Service: "s", Hook: "order-sign", HookInstance: "h\xffx", Now: "2026-11-23T12:00:00Z",
			Patient: &facts.Patient{Ref: "Patient/1", AgeYears: &age, Deceased: true},
			Orders: []facts.Med{{Ref: "MedicationRequest/1", ValueSets: nil, DoseMg: f(0.0000001), DailyDoseMg: f(1e21),
				StrengthMg: f(15), FrequencyPerDay: f(0.5),
				Codes: []string{}, Text: " a <b> & c ", Selected: true}},
			Dispense:      map[string]facts.Dispense{"MedicationRequest/1": {SupplyDurationDays: f(-3.25), Quantity: &facts.Quantity{Value: 0}}, "": {}},
			Medications:   []facts.Med{{ValueSets: []string{}}, {ValueSets: []string{"x", "y"}}},
			Conditions:    []facts.Condition{{Ref: "Condition/1", ValueSets: []string{"psoriasis"}, Active: true}},
			Immunizations: []facts.Immunization{{Ref: "Immunization/1"}},
			Allergies:     []facts.Allergy{{Ref: "AllergyIntolerance/1", Text: "\u2028é"}},
			Labs: map[string]facts.Lab{"anc": {Ref: "Observation/1", Value: f(0.8), AgeDays: 7.000000001},
				"hgb": {Ref: "Observation/2", ValueCodes: []string{"a|b"}, AgeDays: 0}, "": {}},
			DataIssues: []facts.DataIssue{{Kind: "missing-key", Key: "k", Count: 3}},
		},
	}
	if testing.Short() == false {
		// The benchmark inputs: the focused request and a whole patient.
		cases, err := func() (cs []perfCase, err error) {
			defer func() {
				if r := recover(); r != nil {
					t.Logf("perf inputs unavailable: %v", r)
				}
			}()
			cs, _, err = buildPerfCases()
			return cs, err
		}()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			inputs = append(inputs, &c.derived.Input)
		}
	}
	for i, in := range inputs {
		want, err := inputValueJSON(in)
		if err != nil {
			t.Fatal(err)
		}
		want = withValueSetIndex(want)
		got, err := InputValue(in)
		if err != nil {
			t.Fatal(err)
		}
		if got.Compare(want) != 0 || got.String() != want.String() {
			t.Fatalf("input %d:\n got %s\nwant %s", i, got, want)
		}
		if _, ok := got.(ast.Object); !ok {
			t.Fatalf("input %d: not an object", i)
		}
	}
}
