package engine_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
)

// labsWith is the lab rules' file with one edit, which must apply.
func labsWith(t *testing.T, old, new string) map[string]string {
	t.Helper()
	data, err := policies.FS.ReadFile("rules/jak/labs.rego")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("rules/jak/labs.rego has no %q: the test edits nothing", old)
	}
	return map[string]string{"rules/jak/labs.rego": strings.Replace(string(data), old, new, 1)}
}

// A card template that cannot be used is refused at load and by check,
// naming the file, the row and the key.
func TestCardTemplateRefusedAtLoad(t *testing.T) {
	for _, tc := range []struct {
		name, old, new string
		want           []string
	}{
		{"syntax", "{{num .limit}} — ", "{{num .limit} — ", []string{"rules/jak/labs.rego:", "function lab_finding: custom.card.summary", "bad character"}},
		{"unknown function", "{{date .lab.time}}", "{{dat .lab.time}}", []string{"rules/jak/labs.rego:", "custom.card.detail", `function "dat" not defined`}},
		{"unknown member", "#     detail: |-", "#     details: |-", []string{"rules/jak/labs.rego:", "custom.card.details: unknown member"}},
		{"no summary", "#     summary: >-", "#     sumary: >-", []string{"custom.card.sumary: unknown member"}},
		{"a card no function has", "#   card: lab_finding\n#   indicator: critical\n#   drugs: [oral]\n#   hooks: [order-select, order-sign]\n#   source:\n#     topic: labs\nfindings contains lab_finding(\"jak.lab-anc-low\"",
			"#   card: lab_findings\n#   indicator: critical\n#   drugs: [oral]\n#   hooks: [order-select, order-sign]\n#   source:\n#     topic: labs\nfindings contains lab_finding(\"jak.lab-anc-low\"",
			[]string{"rules/jak/labs.rego:", `custom.card names "lab_findings"`, "lab_finding"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := defaultWith(t, labsWith(t, tc.old, tc.new))
			_, err := engine.Load(context.Background(), fsys, engine.Options{})
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("load error does not say %q:\n%v", w, err)
				}
			}
			rep, err := engine.Check(context.Background(), fsys)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range rep.Problems {
				if p.Severity == engine.SeverityError && p.File == "rules/jak/labs.rego" && p.Row > 0 && strings.Contains(p.Message, tc.want[len(tc.want)-1]) {
					found = true
				}
			}
			if !found {
				t.Errorf("check does not name the file, the row and %q: %+v", tc.want[len(tc.want)-1], rep.Problems)
			}
		})
	}
}

// A finding whose values do not fit its template costs only itself: the
// other cards stay, and the rule-failure card says which check could not
// be made (a missing value is not a card with half its text).
func TestCardRenderFailureCostsOnlyItself(t *testing.T) {
	base := focusedOutcome(t, policies.FS)
	if !slices.Contains(ruleIDs(base), "jak.lab-anc-low") || !slices.Contains(ruleIDs(base), "jak.lab-hgb-low") {
		t.Fatalf("the focused request gets %v: the test proves less than it says", ruleIDs(base))
	}
	for _, tc := range []struct {
		name, old, new, reason string
	}{
		{"a value missing", `		"limit": lib.lab_limit(order.target, analyte, lib.phase(order)),
`, "", `map has no entry for key "limit"`},
		{"a text where a number is wanted", `"limit": lib.lab_limit(order.target, analyte, lib.phase(order)),`, `"limit": "one",`, "num takes a number, not a string"},
		{"summary and text", `"indicator": "critical",
	"text": {`, `"indicator": "critical",
	"summary": "written twice",
	"text": {`, "writes the card (custom.card), and the finding gives a summary or detail too"},
		{"no text", `"text": {`, `"txt": {`, "malformed finding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := focusedOutcome(t, defaultWith(t, labsWith(t, tc.old, tc.new)))
			var want []string
			for _, id := range ruleIDs(base) {
				if id != "jak.lab-anc-low" && id != "jak.lab-hgb-low" {
					want = append(want, id)
				}
			}
			want = append(want, engine.RuleFailureRule)
			slices.Sort(want)
			if got := ruleIDs(out); !slices.Equal(got, want) {
				t.Fatalf("cards %v, want %v", got, want)
			}
			if len(out.Failures) != 2 {
				t.Fatalf("failures %+v, want the two lab findings", out.Failures)
			}
			for _, f := range out.Failures {
				if f.Package != "jak" || !strings.Contains(f.Reason, tc.reason) {
					t.Errorf("failure %+v does not say %q", f, tc.reason)
				}
			}
		})
	}
}

// A finding that gives text values to a rule whose METADATA has no card
// is a failure of that rule, not a card without words.
func TestTextWithoutCardTemplate(t *testing.T) {
	out := focusedOutcome(t, defaultWith(t, labsWith(t, "#   card: lab_finding\n#   indicator: critical\n#   drugs: [oral]\n#   hooks: [order-select, order-sign]\n#   source:\n#     topic: labs\nfindings contains lab_finding(\"jak.lab-anc-low\"",
		"#   indicator: critical\n#   drugs: [oral]\n#   hooks: [order-select, order-sign]\n#   source:\n#     topic: labs\nfindings contains lab_finding(\"jak.lab-anc-low\"")))
	if slices.Contains(ruleIDs(out), "jak.lab-anc-low") || !slices.Contains(ruleIDs(out), "jak.lab-hgb-low") || !slices.Contains(ruleIDs(out), engine.RuleFailureRule) {
		t.Fatalf("cards %v", ruleIDs(out))
	}
	if len(out.Failures) != 1 || !strings.Contains(out.Failures[0].Reason, "has no custom.card to write them") {
		t.Fatalf("failures %+v", out.Failures)
	}
}

// check refuses a template that reads a value the finding's text does
// not give (renamed in the Rego), and a summary whose own words are
// already too long, naming the file and row of the METADATA.
func TestCheckCardTemplates(t *testing.T) {
	for _, tc := range []struct {
		name, old, new, check, want string
	}{
		{"renamed value", `"limit": lib.lab_limit(`, `"threshold": lib.lab_limit(`, engine.CheckMetadata, "custom.card reads .limit, which the finding's text (rules/jak/labs.rego:"},
		{"long summary", "is below {{num .limit}} — ", "is below {{num .limit}} " + strings.Repeat("and much more ", 12) + "— ", engine.CheckSummary, "custom.card.summary has 180 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := engine.Check(context.Background(), defaultWith(t, labsWith(t, tc.old, tc.new)))
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range rep.Problems {
				if p.Severity == engine.SeverityError && p.Check == tc.check && p.File == "rules/jak/labs.rego" && p.Row > 0 && strings.Contains(p.Message, tc.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("check does not say %q: %+v", tc.want, rep.Problems)
			}
		})
	}
}

// A rule the site switched off is no check of the call: its finding
// failing to render puts up no rule-failure card.
func TestRenderFailureOfASwitchedOffRule(t *testing.T) {
	fsys := defaultWith(t, labsWith(t, `		"limit": lib.lab_limit(order.target, analyte, lib.phase(order)),
`, ""))
	out := focusedOutcomeWith(t, fsys, engine.Options{SiteParams: []byte(`{"rules": {"jak.lab-anc-low": {"enabled": false}, "jak.lab-hgb-low": {"enabled": false}}}`)})
	if ids := ruleIDs(out); slices.Contains(ids, engine.RuleFailureRule) || slices.Contains(ids, "jak.lab-anc-low") {
		t.Errorf("cards %v: a switched-off rule's failure is shown", ids)
	}
	// switched on, the same failure is shown (the test proves what it says)
	if ids := ruleIDs(focusedOutcome(t, fsys)); !slices.Contains(ids, engine.RuleFailureRule) {
		t.Errorf("cards %v: no rule-failure card", ids)
	}
}

// A drug not approved in the jurisdiction needs the card's summary: a
// profile without it is refused at load, naming the member, rather than
// the jurisdiction card going silent.
func TestApprovalWithoutSummaryRefused(t *testing.T) {
	profile := editProfile(t, "baricitinib", func(p map[string]any) {
		us, _ := p["jurisdictions"].(map[string]any)["US"].(map[string]any)
		a, ok := us["approval"].(map[string]any)
		if !ok || a["approved"] != false {
			t.Fatalf("baricitinib is approved in the US profile: the test edits nothing (%v)", us)
		}
		delete(a, "summary")
	})
	_, err := loadDefaultWith(t, map[string]string{"profiles/baricitinib.json": profile})
	if err == nil || !strings.Contains(err.Error(), "baricitinib") || !strings.Contains(err.Error(), "summary") {
		t.Fatalf("load: %v, want the missing approval summary refused", err)
	}
}
