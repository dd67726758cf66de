package engine

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/rego"
)

// jsonFindings is the reference decode: the JSON round trip.
func jsonFindings(v any) ([]Finding, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out []Finding
	err = json.Unmarshal(data, &out)
	return out, err
}

func TestDecodeFindingsAgreesWithJSON(t *testing.T) {
	n := func(s string) json.Number { return json.Number(s) }
	full := map[string]any{
		"rule": "jak.x", "indicator": "warning", "summary": "S", "detail": "D", "order": "MedicationRequest/1",
		"evidence": []any{map[string]any{"reference": "Observation/1", "display": "ANC", "value": n("0.8"), "unit": "10*9/L", "time": "2026-11-16T09:00:00Z"},
			map[string]any{"reference": "Condition/2", "value": nil, "display": nil}},
		"factors":     []any{map[string]any{"id": "anc", "display": "ANC", "evidence": []any{map[string]any{"reference": "Observation/1"}}}},
		"suggestions": []any{map[string]any{"kind": "update-dose", "label": "L", "isRecommended": true, "targetDailyDoseMg": n("15"), "analytes": []any{"anc"}, "dueDate": "2027-01-01"}},
		"links":       []any{map[string]any{"label": "Label", "url": "https://x", "type": "absolute", "autolaunchable": false}},
	}
	tests := []struct {
		name   string
		v      any
		direct bool // the direct walk takes it
	}{
		{"undefined", nil, true},
		{"empty", []any{}, true},
		{"every field", []any{full}, true},
		{"nulls everywhere", []any{map[string]any{"rule": "r", "indicator": nil, "summary": "s", "evidence": nil, "factors": nil, "suggestions": []any{map[string]any{"targetDailyDoseMg": nil, "analytes": nil, "isRecommended": nil}}, "links": nil}}, true},
		{"string value evidence", []any{map[string]any{"rule": "r", "evidence": []any{map[string]any{"value": "positive"}}}}, true},
		{"key in another case", []any{map[string]any{"Rule": "r", "summary": "s"}}, false},
		{"unknown key", []any{map[string]any{"rule": "r", "note": "x"}}, false},
		{"number for a string", []any{map[string]any{"rule": n("1")}}, false},
		{"object evidence value", []any{map[string]any{"rule": "r", "evidence": []any{map[string]any{"value": map[string]any{"a": n("1")}}}}}, false},
		{"string dose", []any{map[string]any{"rule": "r", "suggestions": []any{map[string]any{"targetDailyDoseMg": "15"}}}}, false},
		{"not a list", map[string]any{"rule": "r"}, false},
		{"list of strings", []any{"r"}, false},
		{"analytes not strings", []any{map[string]any{"suggestions": []any{map[string]any{"analytes": []any{n("1")}}}}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, wantErr := jsonFindings(tc.v)
			if _, ok := findingsDirect(tc.v); ok != tc.direct {
				t.Errorf("direct walk took it = %v, want %v", ok, tc.direct)
			}
			got, err := decodeFindings(tc.v)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("error = %v, JSON round trip error = %v", err, wantErr)
			}
			if wantErr != nil {
				return
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("decodeFindings differs from the JSON round trip (-json +direct):\n%s", diff)
			}
		})
	}
}

// TestDecodeFindingsOnRealResults compares both decodes on what the policy
// set returns for the perf bodies, and checks the direct walk takes them.
func TestDecodeFindingsOnRealResults(t *testing.T) {
	cases, ps := perfSetup(t)
	for _, c := range cases {
		v, err := InputValue(&c.derived.Input)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := ps.queries["jak-order-sign"].Eval(context.Background(), rego.EvalParsedInput(v))
		if err != nil || len(rs) == 0 {
			t.Fatal(err, len(rs))
		}
		raw := rs[0].Expressions[0].Value
		direct, ok := findingsDirect(raw)
		if !ok {
			t.Fatalf("%s: the direct walk refused the policy set's own findings", c.name)
		}
		want, err := jsonFindings(raw)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			t.Fatalf("%s: no findings", c.name)
		}
		if diff := cmp.Diff(want, direct); diff != "" {
			t.Errorf("%s: (-json +direct):\n%s", c.name, diff)
		}
	}
}
