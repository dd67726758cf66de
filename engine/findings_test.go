package engine

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/rego"
)

// jsonFinding is the reference decode of one valid finding: the JSON
// round trip.
func jsonFinding(v any) (Finding, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return Finding{}, err
	}
	var out Finding
	err = json.Unmarshal(data, &out)
	return out, err
}

func TestDecodeFinding(t *testing.T) {
	n := func(s string) json.Number { return json.Number(s) }
	full := map[string]any{
		"rule": "jak.x", "indicator": "warning", "summary": "S", "detail": "D", "order": "MedicationRequest/1", "drug": "abrocitinib",
		"evidence": []any{map[string]any{"reference": "Observation/1", "display": "ANC", "value": n("0.8"), "unit": "10*9/L", "time": "2026-11-16T09:00:00Z"},
			map[string]any{"reference": "Condition/2", "value": nil, "display": nil}},
		"factors":     []any{map[string]any{"id": "anc", "display": "ANC", "evidence": []any{map[string]any{"reference": "Observation/1"}}}},
		"suggestions": []any{map[string]any{"kind": "update-dose", "label": "L", "isRecommended": true, "targetDailyDoseMg": n("15"), "analytes": []any{"anc"}, "dueDate": "2027-01-01"}},
		"links":       []any{map[string]any{"label": "Label", "url": "https://x", "type": "absolute", "autolaunchable": false}},
	}
	tests := []struct {
		name    string
		v       any
		direct  bool   // the direct walk takes it
		wantErr string // else it decodes as the JSON round trip does
	}{
		{"every field", full, true, ""},
		{"nulls everywhere", map[string]any{"rule": "r", "indicator": nil, "summary": "s", "evidence": nil, "factors": nil, "suggestions": []any{map[string]any{"targetDailyDoseMg": nil, "analytes": nil, "isRecommended": nil}}, "links": nil}, true, ""},
		{"string value evidence", map[string]any{"rule": "r", "evidence": []any{map[string]any{"value": "positive"}}}, true, ""},
		{"object evidence value", map[string]any{"rule": "r", "evidence": []any{map[string]any{"value": map[string]any{"a": n("1")}}}}, false, ""},
		// A misspelt or miscased member would silently lose what it held.
		{"key in another case", map[string]any{"Rule": "r", "summary": "s"}, false, `unknown member "Rule"`},
		{"unknown key", map[string]any{"rule": "r", "sugestions": []any{}}, false, `unknown member "sugestions"`},
		{"number for a string", map[string]any{"rule": n("1")}, false, "member rule: a JSON number"},
		{"string dose", map[string]any{"rule": "r", "suggestions": []any{map[string]any{"targetDailyDoseMg": "15"}}}, false, "member suggestions.0.targetDailyDoseMg: a JSON string"},
		{"analytes not strings", map[string]any{"suggestions": []any{map[string]any{"analytes": []any{n("1")}}}}, false, "member suggestions.0.analytes.0: a JSON number"},
		{"not an object", "r", false, "a finding is an object, not a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := findingDirect(tc.v); ok != tc.direct {
				t.Errorf("direct walk took it = %v, want %v", ok, tc.direct)
			}
			got, err := decodeFinding(tc.v)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, err := jsonFinding(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("decodeFinding differs from the JSON round trip (-json +got):\n%s", diff)
			}
		})
	}
}

func TestFindingItems(t *testing.T) {
	for _, v := range []any{nil, []any{}} {
		if items, err := findingItems(v); err != nil || len(items) != 0 {
			t.Errorf("findingItems(%v) = %v, %v; want nothing", v, items, err)
		}
	}
	if _, err := findingItems(map[string]any{"rule": "r"}); err == nil || !strings.Contains(err.Error(), "findings is a object") {
		t.Errorf("findingItems(object) = %v, want an error naming the kind", err)
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
		rs, err := callQuery(t, ps, "order-sign", &c.derived.Input).Eval(context.Background(), rego.EvalParsedInput(v))
		if err != nil || len(rs) == 0 {
			t.Fatal(err, len(rs))
		}
		n := 0
		for _, e := range rs[0].Expressions {
			items, err := findingItems(e.Value)
			if err != nil {
				t.Fatal(err)
			}
			for _, item := range items {
				n++
				direct, ok := findingDirect(item)
				if !ok {
					t.Fatalf("%s: the direct walk refused the policy set's own finding %v", c.name, item)
				}
				want, err := jsonFinding(item)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, direct); diff != "" {
					t.Errorf("%s: (-json +direct):\n%s", c.name, diff)
				}
			}
		}
		if n == 0 {
			t.Fatalf("%s: no findings", c.name)
		}
	}
}
