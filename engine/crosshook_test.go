package engine_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/policies"
)

// TestCrossHook: the served rules do not read which call asks, and each
// way a rule could read it makes a policy set hook-bound, naming where.
func TestCrossHook(t *testing.T) {
	t.Parallel()
	served, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ok, where := served.CrossHook(); !ok {
		t.Fatalf("the served policy set is hook-bound: %s", where)
	}
	tests := []struct{ name, body, want string }{
		{"input.hook", `probe if input.hook == "order-sign"`, "lib/zz_probe.rego:5: reads input.hook"},
		{"input.service", `probe := input.service`, "reads input.service"},
		{"input.hookInstance", `probe := count(input.hookInstance)`, "reads input.hookInstance"},
		{"an order's selected flag", `probe if {
	some o in input.orders
	o.selected
}`, `reads "selected"`},
		{"selected by name", `probe := object.get(input.orders[0], "selected", false)`, `reads "selected"`},
		{"input whole", `probe := object.get(input, "hook", "")`, "reads input as a whole"},
		{"input by a variable key", `probe := [v | some k in ["hook"]; v := input[k]]`, "reads input with a key that is not a constant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ps, err := engine.Load(context.Background(), defaultWith(t, map[string]string{
				"lib/zz_probe.rego": "# A helper no rule calls still counts: what the rules could read is decided from the source.\npackage labelguard.lib\n\n# probe reads the call.\n" + tc.body + "\n",
			}), engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			ok, where := ps.CrossHook()
			if ok || !strings.Contains(where, tc.want) {
				t.Errorf("CrossHook() = %v, %q; want false naming %q", ok, where, tc.want)
			}
		})
	}
}

// TestEvaluationInput: on a cross-hook set the rules see the call's input
// without what says which call it is; the call's own input is unchanged.
func TestEvaluationInput(t *testing.T) {
	t.Parallel()
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := &facts.Input{Hook: "order-select", Service: "jak-order-select", HookInstance: "h", Now: "2026-11-23T12:00:00Z",
		Orders: []facts.Med{{Ref: "MedicationRequest/a", Selected: true}, {Ref: "MedicationRequest/b"}}}
	got := ps.EvaluationInput("order-select", in)
	if got.Hook != "" || got.Service != "" || got.HookInstance != "" || got.Orders[0].Selected || got.Now != in.Now || len(got.Orders) != 2 {
		t.Errorf("evaluation input %+v", got)
	}
	if in.Hook != "order-select" || in.HookInstance != "h" || !in.Orders[0].Selected {
		t.Errorf("the call's input was modified: %+v", in)
	}
	bound, err := engine.Load(context.Background(), defaultWith(t, map[string]string{
		"lib/zz_probe.rego": "package labelguard.lib\n\nprobe := input.hook\n",
	}), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if bound.EvaluationInput("order-select", in) != in {
		t.Error("a hook-bound set must evaluate the call's own input")
	}
	sel, _ := ps.Service("jak-order-select")
	sign, _ := ps.Service("jak-order-sign")
	if ps.EvaluationScope(sel, in) != ps.EvaluationScope(sign, in) {
		t.Error("order-select and order-sign reach the same packages; a cross-hook set's scopes must be equal")
	}
	bsel, _ := bound.Service("jak-order-select")
	bsign, _ := bound.Service("jak-order-sign")
	if bound.EvaluationScope(bsel, in) == bound.EvaluationScope(bsign, in) {
		t.Error("a hook-bound set's scopes must name the service and hook")
	}
}

// TestFindingsOnlyOnTheirHooks: a rule's METADATA hooks decide where its
// findings become cards. jak.dose-unverifiable (hooks: [order-sign]) does
// not read the hook, so the rules yield it for an order-select too, and
// the engine keeps it for order-sign only.
func TestFindingsOnlyOnTheirHooks(t *testing.T) {
	t.Parallel()
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	age := 40
	order := facts.Med{Ref: "MedicationRequest/upa", ResourceType: "MedicationRequest", Status: "draft", Intent: "order", Draft: true,
		Target: "upadacitinib", Ingredients: []string{"upadacitinib"}, Route: "oral", Text: " upadacitinib ", ValueSets: []string{"upadacitinib", "jak-inhibitors"},
		Phase: "continuation", Selected: true}
	in := &facts.Input{Version: facts.Version, Service: "jak-order-select", Hook: "order-select", Now: "2026-11-23T12:00:00Z",
		Patient: &facts.Patient{Ref: "Patient/p", AgeYears: &age, Sex: "male"}, Orders: []facts.Med{order}, Medications: []facts.Med{order}}
	req := engine.Request{Service: "jak-order-select", Input: in}
	r, err := ps.EvaluateRules(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(fs []engine.Finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Rule)
		}
		return out
	}
	if !slices.Contains(ids(r.Findings), "jak.dose-unverifiable") {
		t.Fatalf("the rules did not yield jak.dose-unverifiable for an order without a dose: %v", ids(r.Findings))
	}
	onSelect, err := ps.DecideFrom(req, r)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(ids(onSelect.Findings), "jak.dose-unverifiable") {
		t.Errorf("order-select kept jak.dose-unverifiable, an order-sign rule: %v", ids(onSelect.Findings))
	}
	signIn := *in
	signIn.Hook, signIn.Service = "order-sign", "jak-order-sign"
	onSign, err := ps.DecideFrom(engine.Request{Service: "jak-order-sign", Input: &signIn}, r)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ids(onSign.Findings), "jak.dose-unverifiable") {
		t.Errorf("order-sign lost jak.dose-unverifiable: %v", ids(onSign.Findings))
	}
	if len(r.Findings) == 0 || !slices.Contains(ids(r.Findings), "jak.dose-unverifiable") {
		t.Error("DecideFrom modified the rule results")
	}
}
