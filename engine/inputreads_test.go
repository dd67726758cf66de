package engine_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/policies"
)

// TestInputReaders: in the served set only the cream's package reads
// input.dispense, and each way another package could read it makes that
// package a reader.
func TestInputReaders(t *testing.T) {
	t.Parallel()
	served, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := served.InputReaders()["dispense"], []string{"ruxolitinib_cream"}; !slices.Equal(got, want) {
		t.Fatalf("input.dispense readers = %v, want %v: a package that reads it (or a helper in lib that names it) makes every edit of a dispense a new evaluation for its calls", got, want)
	}
	all := slices.Sorted(maps.Keys(served.Packages))
	// A package reads what the lib helpers it refers to read; data_quality
	// refers to none (its card text is written by its METADATA).
	libUsers := slices.DeleteFunc(slices.Clone(all), func(p string) bool { return p == "data_quality" })
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"lib names input.dispense", map[string]string{
			"lib/zz_probe.rego": "package labelguard.lib\n\nprobe := input.dispense\n",
		}, libUsers},
		{"lib reads input whole", map[string]string{
			"lib/zz_probe.rego": "package labelguard.lib\n\nprobe := object.get(input, \"dispense\", {})\n",
		}, libUsers},
		{"lib reads input by a variable key", map[string]string{
			"lib/zz_probe.rego": "package labelguard.lib\n\nprobe := [v | some k in [\"dispense\"]; v := input[k]]\n",
		}, libUsers},
		{"a package refers to the cream's rules", map[string]string{
			"rules/baricitinib/zz_probe.rego": "package labelguard.rules.baricitinib\n\nprobe := data.labelguard.rules.ruxolitinib_cream.max_grams_per_week\n",
		}, []string{"baricitinib", "ruxolitinib_cream"}},
		{"a package refers to the rules by a computed key", map[string]string{
			"rules/baricitinib/zz_probe.rego": "package labelguard.rules.baricitinib\n\nprobe := [x | some p in [\"jak\"]; x := data.labelguard.rules[p].orders]\n",
		}, []string{"baricitinib", "ruxolitinib_cream"}},
		{"a rule of a package written from an enclosing package", map[string]string{
			"rules/zz_enclosing.rego": "package labelguard.rules\n\nbaricitinib.probe := input.dispense\n",
		}, all},
		{"a package of the site's that a rule package refers to", map[string]string{
			"site/dispense.rego":              "package labelguard.site\n\nsupply(ref) := input.dispense[ref].supplyDurationDays\n",
			"rules/baricitinib/zz_probe.rego": "package labelguard.rules.baricitinib\n\nprobe := data.labelguard.site.supply(\"x\")\n",
		}, []string{"baricitinib", "ruxolitinib_cream"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ps, err := engine.Load(context.Background(), defaultWith(t, tc.files), engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := ps.InputReaders()["dispense"]; !slices.Equal(got, tc.want) {
				t.Errorf("input.dispense readers = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestEvaluationInputWithoutDispense: a call whose packages do not read
// input.dispense is evaluated without it, and yields what it yields with
// it; a call on the cream keeps it, and its dispense decides its cards.
func TestEvaluationInputWithoutDispense(t *testing.T) {
	t.Parallel()
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	age := 40
	days, dose := 7.0, 45.0
	oral := facts.Med{Ref: "MedicationRequest/upa", ResourceType: "MedicationRequest", Status: "draft", Intent: "order", Draft: true,
		Target: "upadacitinib", Ingredients: []string{"upadacitinib"}, Route: "oral", Text: " upadacitinib 45 mg tablet ", ValueSets: []string{"upadacitinib", "jak-inhibitors"},
		Phase: "initiation", DailyDoseMg: &dose}
	cream := facts.Med{Ref: "MedicationRequest/rux", ResourceType: "MedicationRequest", Status: "draft", Intent: "order", Draft: true,
		Target: "ruxolitinib-cream", Ingredients: []string{"ruxolitinib"}, Route: "topical", Topical: true, Text: " ruxolitinib 1 5 cream ", ValueSets: []string{}, Phase: "initiation"}
	input := func(order facts.Med, d *facts.Dispense) *facts.Input {
		in := &facts.Input{Version: facts.Version, Service: "jak-order-sign", Hook: "order-sign", Now: "2026-11-23T12:00:00Z",
			Patient: &facts.Patient{Ref: "Patient/p", AgeYears: &age, Sex: "male"}, Orders: []facts.Med{order}, Medications: []facts.Med{order}}
		if d != nil {
			in.Dispense = map[string]facts.Dispense{order.Ref: *d}
		}
		return in
	}
	big := &facts.Dispense{Quantity: &facts.Quantity{Value: 200, Unit: "g"}, SupplyDurationDays: &days}
	rules := func(in *facts.Input) []string {
		t.Helper()
		r, err := ps.EvaluateRules(context.Background(), engine.Request{Service: in.Service, Input: in})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, f := range r.Findings {
			ids = append(ids, f.Rule+" "+f.Order)
		}
		return ids
	}

	in := input(oral, big)
	for _, hook := range []string{"order-select", "order-sign"} {
		if got := ps.EvaluationInput(hook, in); got.Dispense != nil {
			t.Errorf("%s on an oral order: evaluated with input.dispense %v", hook, got.Dispense)
		}
	}
	if in.Dispense == nil {
		t.Error("EvaluationInput modified the call's input")
	}
	if diff := cmp.Diff(rules(input(oral, nil)), rules(in)); diff != "" {
		t.Errorf("an oral order's rule results depend on its dispense (-without +with):\n%s", diff)
	}

	withCream := input(cream, big)
	if got := ps.EvaluationInput("order-sign", withCream); got.Dispense == nil {
		t.Error("a call on the cream was evaluated without input.dispense")
	}
	if got := rules(withCream); !slices.Contains(got, "ruxolitinib-cream.quantity-max MedicationRequest/rux") {
		t.Errorf("200 g over 7 days of the cream: rules yielded %v, want ruxolitinib-cream.quantity-max", got)
	}
	if got := rules(input(cream, nil)); slices.Contains(got, "ruxolitinib-cream.quantity-max MedicationRequest/rux") {
		t.Errorf("the cream without a dispense: rules yielded %v", got)
	}
}

// TestMovedInputRefused: a rule written against the medication fact
// dispenseQuantity, which moved to input.dispense, is refused at load and
// by check, naming file, row and the new place.
func TestMovedInputRefused(t *testing.T) {
	t.Parallel()
	fsys := defaultWith(t, map[string]string{
		"rules/ruxolitinib_cream/zz_old.rego": "package labelguard.rules.ruxolitinib_cream\n\nold_grams(order) := order.dispenseQuantity.value\n\nold_days(order) := order.supplyDays\n",
	})
	_, loadErr := engine.Load(context.Background(), fsys, engine.Options{})
	want := `rules/ruxolitinib_cream/zz_old.rego:3: [input] "dispenseQuantity" is no longer a medication fact: it is input.dispense[order.ref].quantity`
	if loadErr == nil || !strings.Contains(loadErr.Error(), want) {
		t.Errorf("Load: %v\nwant an error containing %s", loadErr, want)
	}
	rep, err := engine.Check(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[int]bool{}
	for _, p := range rep.Problems {
		if p.Check == engine.CheckInput && p.File == "rules/ruxolitinib_cream/zz_old.rego" && p.Severity == "error" {
			rows[p.Row] = true
		}
	}
	if !rows[3] || !rows[5] {
		t.Errorf("check did not report both old names (rows 3 and 5): %v", rep.Problems)
	}
	if want := `zz_old.rego:5: [input] "supplyDays" is no longer a medication fact: it is input.dispense[order.ref].supplyDurationDays`; loadErr == nil || !strings.Contains(loadErr.Error(), want) {
		t.Errorf("Load: %v\nwant an error containing %s", loadErr, want)
	}
}

// TestCheckNotesIndirectInputReads: check notes the rule packages that
// read input.dispense only through a helper, naming it; the served set has
// none (the cream's package names it itself).
func TestCheckNotesIndirectInputReads(t *testing.T) {
	t.Parallel()
	served, err := engine.Check(context.Background(), policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(served.IndirectInputReads) != 0 {
		t.Errorf("served set: %v, want none", served.IndirectInputReads)
	}
	rep, err := engine.Check(context.Background(), defaultWith(t, map[string]string{
		"lib/zz_probe.rego": "package labelguard.lib\n\n# probe names input.dispense in a helper.\nprobe(ref) := input.dispense[ref]\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(rep.IndirectInputReads, "input.dispense: rules.jak through lib") {
		t.Errorf("notes %v: want rules.jak through lib", rep.IndirectInputReads)
	}
	for _, n := range rep.IndirectInputReads {
		if strings.Contains(n, "ruxolitinib_cream") {
			t.Errorf("note %q: the cream's package names input.dispense itself", n)
		}
	}
}
