package scenario_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/scenario"
)

// membershipQuery computes, in Rego, the value sets of every resource from
// its codes and text (lib.match_valueset), ignoring the valueSets the facts
// layer computed.
// Coded lab results are matched by their value (valueCodes, valueText), as
// lib.coded_lab_in does.
const membershipQuery = `{[r.ref, sort([vs | some vs, _ in data.labelguard.valuesets; data.labelguard.lib.match_valueset(r, vs)])] |
	coded := [{"ref": lab.ref, "codes": object.get(lab, "valueCodes", []), "text": object.get(lab, "valueText", "")} |
		some lab in object.get(input, "labs", {})
		lab.valueSets
	]
	some r in array.concat(array.concat(array.concat(object.get(input, "medications", []), object.get(input, "conditions", [])),
		array.concat(object.get(input, "immunizations", []), object.get(input, "allergies", []))), coded)
}`

// TestValueSetMembershipAgreesWithRego checks, over every scenario's real
// input, that the value set membership the Go facts layer computes is
// exactly what the policies' own matching (codes, prefixes, regexes,
// exclusions, names) computes, so that precomputing it changes no card.
func TestValueSetMembershipAgreesWithRego(t *testing.T) {
	type check struct {
		name string
		in   map[string][]string // ref -> Go membership
		raw  any
	}
	var checks []check
	codedLabs := 0
	ps, _ := eachOutcome(t, func(s scenario.Scenario, out *pipeline.Outcome) {
		in := out.Input.Input
		goSets := map[string][]string{}
		for _, m := range in.Medications {
			goSets[m.Ref] = m.ValueSets
		}
		for _, c := range in.Conditions {
			goSets[c.Ref] = c.ValueSets
		}
		for _, i := range in.Immunizations {
			goSets[i.Ref] = i.ValueSets
		}
		for _, a := range in.Allergies {
			goSets[a.Ref] = a.ValueSets
		}
		for _, l := range in.Labs {
			if l.ValueSets != nil {
				goSets[l.Ref] = *l.ValueSets
				codedLabs++
			}
		}
		var raw any
		b, _ := json.Marshal(in)
		_ = json.Unmarshal(b, &raw)
		checks = append(checks, check{s.Name, goSets, raw})
	})
	checked := 0
	for _, c := range checks {
		got, err := ps.Query(context.Background(), membershipQuery, c.raw)
		if err != nil {
			t.Fatal(err)
		}
		pairs, _ := got.([]any)
		for _, p := range pairs {
			pair := p.([]any)
			ref := pair[0].(string)
			var regoSets []string
			for _, v := range pair[1].([]any) {
				regoSets = append(regoSets, v.(string))
			}
			goSet := c.in[ref]
			if !slices.Equal(regoSets, goSet) && !(len(regoSets) == 0 && len(goSet) == 0) {
				t.Errorf("%s: %s: Go membership %v, Rego %v", c.name, ref, goSet, regoSets)
			}
			checked++
		}
	}
	if codedLabs < 10 {
		t.Errorf("only %d coded lab results checked; the scenarios should give dozens", codedLabs)
	}
	if checked < 100 {
		t.Errorf("only %d resources checked; the scenarios should give hundreds", checked)
	}
	t.Logf("%d resources agree, %d of them coded lab results", checked, codedLabs)
}

// indexQuery lists the kinds whose index the engine added to the input
// (input.byValueSet; a missing one differs) differs from the Rego inversion of the facts'
// valueSets (lib.by_valueset) that inputs without it get, and counts the
// value sets indexed.
const indexQuery = `{"differ": [k | some k in ["conditions", "immunizations", "medications"]
	data.labelguard.lib.by_valueset(object.get(input, k, [])) != object.get(input, ["byValueSet", k], null)
], "sets": sum([count(input.byValueSet[k]) | some k in ["conditions", "immunizations", "medications"]])}`

// TestValueSetIndexAgreesWithRego checks, over every scenario's real
// input as the engine evaluates it, that the value set index the engine
// builds in Go is exactly the index the policies would build, so that
// building it in Go changes no card.
func TestValueSetIndexAgreesWithRego(t *testing.T) {
	var inputs []ast.Value
	var names []string
	ps, _ := eachOutcome(t, func(s scenario.Scenario, out *pipeline.Outcome) {
		v, err := engine.InputValue(&out.Input.Input)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, v)
		names = append(names, s.Name)
	})
	sets := 0
	for i, v := range inputs {
		got, err := ps.Query(context.Background(), indexQuery, v)
		if err != nil {
			t.Fatal(err)
		}
		r := got.(map[string]any)
		if d := r["differ"].([]any); len(d) > 0 {
			t.Errorf("%s: input.byValueSet differs from lib.by_valueset for %v", names[i], d)
		}
		n, err := strconv.Atoi(fmt.Sprint(r["sets"]))
		if err != nil {
			t.Fatalf("%s: sets = %v: %v", names[i], r["sets"], err)
		}
		sets += n
	}
	if sets < 100 {
		t.Errorf("only %d value set entries indexed over %d scenarios; the scenarios should give hundreds", sets, len(inputs))
	}
	t.Logf("%d scenarios, %d value set entries agree", len(inputs), sets)
}
