package engine_test

import (
	"bytes"
	"context"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	tp "github.com/labelguard/labelguard/internal/testpatient"
	"github.com/labelguard/labelguard/internal/testpolicies"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/policies"
)

// defaultWith is the default policy set with files added or replaced.
func defaultWith(t *testing.T, files map[string]string) fstest.MapFS {
	return testpolicies.With(t, files)
}

// focusedOutcome runs the focused request (upadacitinib 45 mg, ANC 0.8)
// through the pipeline with the policy set in fsys.
func focusedOutcome(t *testing.T, fsys fs.FS) *pipeline.Outcome {
	t.Helper()
	return focusedOutcomeWith(t, fsys, engine.Options{})
}

// focusedOutcomeWith is focusedOutcome with load options (site parameters).
func focusedOutcomeWith(t *testing.T, fsys fs.FS, opts engine.Options) *pipeline.Outcome {
	t.Helper()
	ps, err := engine.Load(context.Background(), fsys, opts)
	if err != nil {
		t.Fatal(err)
	}
	body, err := tp.FocusedBody()
	if err != nil {
		t.Fatal(err)
	}
	req, err := cdshooks.DecodeRequest(bytes.NewReader(body), cdshooks.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	hc, err := cdshooks.DecodeContext(req.Hook, req.Context)
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := ps.Service("jak-order-sign")
	out, err := pipeline.Run(context.Background(), ps, svc, req, hc, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func ruleIDs(out *pipeline.Outcome) []string {
	var ids []string
	for _, c := range out.Cards {
		ids = append(ids, c.Source.Topic.Code)
	}
	slices.Sort(ids)
	return ids
}

// typoRule is testpolicies.TypoRule: a finding misspelling its rule ID,
// built at run time.
const typoRule = testpolicies.TypoRule

// A finding whose rule ID has a typo, added to the package of the
// neutrophil rule, costs only itself: the neutrophil card and every other
// card stay, and a rule-failure card says a check could not be made.
func TestUnknownRuleIDCostsOnlyItsOwnCheck(t *testing.T) {
	base := focusedOutcome(t, policies.FS)
	out := focusedOutcome(t, defaultWith(t, map[string]string{"rules/jak/typo.rego": typoRule}))
	want := append(ruleIDs(base), engine.RuleFailureRule)
	slices.Sort(want)
	if got := ruleIDs(out); !slices.Equal(got, want) {
		t.Fatalf("cards %v, want the same cards as without the typo plus %s: %v", got, engine.RuleFailureRule, want)
	}
	if !slices.Contains(ruleIDs(out), "jak.lab-anc-low") {
		t.Fatal("the neutrophil card is gone")
	}
	if len(out.Failures) != 1 || out.Failures[0].Package != "jak" || out.Failures[0].Rule != "jak.new-chek" ||
		!strings.Contains(out.Failures[0].Reason, `"jak.new-chek", which no METADATA in the policy set declares`) {
		t.Fatalf("failures = %+v", out.Failures)
	}
	if m := out.Failures[0].MetricRule(nil); m != engine.UnknownRule {
		t.Errorf("metric rule label %q, want %q (rule IDs in labels come from the catalog)", m, engine.UnknownRule)
	}
	rf := out.Cards[len(out.Cards)-1]
	if rf.Indicator != "info" || !strings.Contains(rf.Summary, "Upadacitinib: 1 check could not be made") || !strings.Contains(rf.Detail, "not a pass") {
		t.Errorf("rule-failure card = %q / %q", rf.Summary, rf.Detail)
	}
	if err := rf.Validate(); err != nil {
		t.Error(err)
	}
}

// An evaluation error in one package (a builtin called with a wrong type)
// drops only that package's findings: the other packages' cards stay, and
// the rule-failure card names the checks of the failed package.
func TestEvaluationErrorCostsOnlyItsPackage(t *testing.T) {
	broken := `package labelguard.rules.upadacitinib

# METADATA
# title: A broken check
# custom:
#   id: upadacitinib.broken
#   indicator: warning
#   drugs: [upadacitinib]
#   source:
#     label: test
#     url: https://example.org/broken
findings contains {"rule": "upadacitinib.broken", "indicator": "warning", "summary": upper(o.dailyDoseMg), "order": o.ref} if {
	some o in orders
}
`
	base := focusedOutcome(t, policies.FS)
	out := focusedOutcome(t, defaultWith(t, map[string]string{"rules/upadacitinib/broken.rego": broken}))
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, id := range ruleIDs(base) {
		if ps.Catalog[id].Package != "upadacitinib" {
			want = append(want, id)
		}
	}
	want = append(want, engine.RuleFailureRule)
	slices.Sort(want)
	if got := ruleIDs(out); !slices.Equal(got, want) {
		t.Fatalf("cards %v, want the other packages' cards %v", got, want)
	}
	// upadacitinib.dose-max is a shared template's rule (package jak): a
	// broken upadacitinib package does not take the drug's own maximum.
	if !slices.Contains(ruleIDs(out), "upadacitinib.dose-max") {
		t.Fatal("the focused request no longer gets upadacitinib.dose-max: the test proves less than it says")
	}
	if len(out.Failures) != 1 || out.Failures[0].Package != "upadacitinib" || out.Failures[0].Rule != "" ||
		!strings.Contains(out.Failures[0].Reason, "eval_type_error at rules/upadacitinib/broken.rego:12") {
		t.Fatalf("failures = %+v", out.Failures)
	}
	rf := out.Cards[len(out.Cards)-1]
	for _, w := range []string{"Upadacitinib start dose above 15 mg (`upadacitinib.start-dose`)", "(`upadacitinib.broken`)"} {
		if !strings.Contains(rf.Detail, w) {
			t.Errorf("rule-failure card does not name %q:\n%s", w, rf.Detail)
		}
	}
	if strings.Contains(rf.Detail, "upadacitinib.dose-max") {
		t.Errorf("rule-failure card names a check of another package, which was made:\n%s", rf.Detail)
	}
	if strings.Contains(rf.Detail, "abrocitinib") {
		t.Errorf("rule-failure card names checks of a drug the call does not concern:\n%s", rf.Detail)
	}
}

// Each finding that cannot become a card is dropped alone: the test set's
// own upadacitinib.dose-max card stays, and the failure names the rule and
// what is wrong.
func TestMalformedFindingIsDroppedAlone(t *testing.T) {
	t.Parallel()
	rule := func(id, indicator, finding string) string {
		return `package labelguard.rules.upa

# METADATA
# title: Second rule
# custom:
#   id: ` + id + `
#   indicator: ` + indicator + `
#   drugs: [upadacitinib]
#   source:
#     label: test
#     url: https://example.org/second
findings contains ` + finding + ` if {
	some o in input.orders
}
`
	}
	tests := []struct {
		name, file, want, metricRule string
	}{
		// Written literally, Load refuses these two (TestLoadRefusesWhatWouldFailAtRunTime);
		// built at run time, the engine drops the finding.
		{"indicator differs from METADATA", rule("upadacitinib.second", "info", `{"rule": "upadacitinib.second", "indicator": concat("", ["crit", "ical"]), "summary": "s", "order": o.ref}`),
			`indicator "critical" is not what its METADATA at rules/upa/second.rego:12 allows (info)`, "upadacitinib.second"},
		{"misspelt member", rule("upadacitinib.second", "info", `{"rule": "upadacitinib.second", "indicator": "info", "summary": "s", "order": o.ref, "sugestions": []}`),
			`unknown member "sugestions"`, "upadacitinib.second"},
		{"wrong type", rule("upadacitinib.second", "info", `{"rule": "upadacitinib.second", "indicator": "info", "summary": 5, "order": o.ref}`),
			"member summary: a JSON number", "upadacitinib.second"},
		{"no summary", rule("upadacitinib.second", "info", `{"rule": "upadacitinib.second", "indicator": "info", "order": o.ref}`),
			"finding without summary", "upadacitinib.second"},
		{"engine's own rule", rule("upadacitinib.second", "info", `{"rule": concat(".", ["labelguard", "rule-failure"]), "indicator": "info", "summary": "s", "order": o.ref}`),
			"is the engine's own", engine.RuleFailureRule},
		{"bad suggestion", rule("upadacitinib.second", "info", `{"rule": "upadacitinib.second", "indicator": "info", "summary": "s", "order": o.ref, "suggestions": [{"kind": "update-dose", "label": "x"}]}`),
			"positive targetDailyDoseMg", "upadacitinib.second"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ps, err := engine.Load(context.Background(), with(testSet(), "rules/upa/second.rego", tc.file), engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			in, orders := input(45)
			res, err := ps.Evaluate(context.Background(), engine.Request{Service: "svc", Input: in, Orders: orders})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range res.Cards {
				ids = append(ids, c.Source.Topic.Code)
			}
			if !slices.Equal(ids, []string{"upadacitinib.dose-max", engine.RuleFailureRule}) {
				t.Fatalf("cards %v, want upadacitinib.dose-max and the rule-failure card", ids)
			}
			if len(res.Failures) != 1 || res.Failures[0].Package != "upa" || !strings.Contains(res.Failures[0].Reason, tc.want) {
				t.Fatalf("failures = %+v, want one of package upa saying %q", res.Failures, tc.want)
			}
			if got := res.Failures[0].MetricRule(ps.Catalog); got != tc.metricRule {
				t.Errorf("metric rule label %q, want %q", got, tc.metricRule)
			}
		})
	}
}

// A rule whose METADATA says omitWhen: [critical] is left out beside a
// critical card on the same order, and kept on another order.
func TestOmitWhenCritical(t *testing.T) {
	t.Parallel()
	plan := `package labelguard.rules.upa

# METADATA
# title: A plan
# custom:
#   id: upadacitinib.plan
#   indicator: info
#   drugs: [upadacitinib]
#   omitWhen: [critical]
#   source:
#     label: test
#     url: https://example.org/plan
findings contains {"rule": "upadacitinib.plan", "indicator": "info", "summary": "plan", "order": o.ref} if {
	some o in input.orders
}
`
	ps, err := engine.Load(context.Background(), with(testSet(), "rules/upa/plan.rego", plan), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dose float64
		want []string
	}{
		{45, []string{"upadacitinib.dose-max"}},
		{15, []string{"upadacitinib.plan"}},
	} {
		in, orders := input(tc.dose)
		res, err := ps.Evaluate(context.Background(), engine.Request{Service: "svc", Input: in, Orders: orders})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range res.Cards {
			ids = append(ids, c.Source.Topic.Code)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("%v mg: cards %v, want %v", tc.dose, ids, tc.want)
		}
	}
}

// What check finds that would fail at run time is refused at load too,
// naming the file, line and rule: the literal typo of typoRule.
func TestLoadRefusesWhatWouldFailAtRunTime(t *testing.T) {
	literal := strings.Replace(typoRule, `concat(".", ["jak", "new-chek"])`, `"jak.new-chek"`, 1)
	_, err := engine.Load(context.Background(), defaultWith(t, map[string]string{"rules/jak/typo.rego": literal}), engine.Options{})
	if err == nil || !strings.Contains(err.Error(), `rules/jak/typo.rego:13: [rule-id] rule jak.new-check (METADATA at rules/jak/typo.rego:13) yields a finding for rule "jak.new-chek", which no METADATA declares`) {
		t.Fatalf("Load: %v", err)
	}
	indicator := strings.Replace(typoRule, `concat(".", ["jak", "new-chek"]), "indicator": "warning"`, `"jak.new-check", "indicator": "critical"`, 1)
	_, err = engine.Load(context.Background(), defaultWith(t, map[string]string{"rules/jak/typo.rego": indicator}), engine.Options{})
	if err == nil || !strings.Contains(err.Error(), `rules/jak/typo.rego:13: [rule-id] rule jak.new-check yields indicator "critical", which its METADATA at rules/jak/typo.rego:13 does not allow (warning)`) {
		t.Fatalf("Load: %v", err)
	}
}
