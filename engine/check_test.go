package engine_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
)

func TestCheckDefaultPolicySetHasNoErrors(t *testing.T) {
	rep, err := engine.Check(context.Background(), policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		if p.Severity == engine.SeverityWarning {
			t.Logf("%s", p)
			continue
		}
		t.Errorf("%s", p)
	}
	if !rep.OK() {
		t.Error("OK() = false")
	}
	if rep.Rules < 20 || rep.SummariesChecked < 20 || rep.ValueSetRefs < 20 {
		t.Errorf("check looked at too little: %d rules, %d summaries, %d value set references", rep.Rules, rep.SummariesChecked, rep.ValueSetRefs)
	}
	t.Logf("%d modules, %d rules, %d summaries, %d value set references", rep.Modules, rep.Rules, rep.SummariesChecked, rep.ValueSetRefs)
}

// A second rule without METADATA, to see that every problem is reported.
const undocumented = `package labelguard.rules.extra

findings contains {"rule": "extra.one", "indicator": "info", "summary": "x"} if input.a

findings contains {"rule": "extra.two", "indicator": "info", "summary": "y"} if input.b
`

func TestCheckFindsEveryProblem(t *testing.T) {
	long := strings.Repeat("very long summary ", 10)
	tests := []struct {
		name  string
		path  string
		body  string
		want  []string // check: message fragment
		fixed bool     // the problem is formatting only
	}{
		{"metadata, all rules reported", "rules/extra/extra.rego", undocumented,
			[]string{"metadata: rules/extra/extra.rego:3", "metadata: rules/extra/extra.rego:5"}, false},
		{"forbidden builtin", "rules/extra/net.rego", "package labelguard.rules.extra\n\nx := http.send({\"method\": \"get\", \"url\": \"https://example.org\"})\n",
			[]string{"builtin: http.send is not allowed"}, false},
		{"clock", "rules/extra/clock.rego", "package labelguard.rules.extra\n\nx := time.now_ns()\n",
			[]string{"builtin: time.now_ns is not allowed in labelguard policies: policies must not read the clock"}, false},
		{"strict compile", "rules/extra/strict.rego", "package labelguard.rules.extra\n\nimport data.labelguard.lib\n\nx if input.a\n",
			[]string{"compile: import data.labelguard.lib unused"}, false},
		{"format", "rules/extra/fmt.rego", "package labelguard.rules.extra\n\nx   if    input.a\n",
			[]string{"format: not formatted"}, true},
		{"long literal summary", "rules/upa/long.rego", strings.Replace(tsRuleBody, `sprintf("Upadacitinib %v mg/day exceeds the maximum of 30 mg", [o.dailyDoseMg])`, `"`+long+`"`, 1),
			[]string{"summary-length: summary is 180 characters"}, false},
		{"long sprintf summary", "rules/upa/long.rego", strings.Replace(tsRuleBody, `"Upadacitinib %v mg/day exceeds`, `"`+long+`%v`, 1),
			[]string{"summary-length: summary format has"}, false},
		{"unknown value set", "lib/vs.rego", "package labelguard.lib\n\nin_vs(r, vs_id) if data.labelguard.valuesets[vs_id].codes[r.code]\n\nuses_unknown if in_vs(input.x, \"no-such-set\")\n\nuses_known if in_vs(input.x, \"upadacitinib\")\n",
			[]string{`valueset: value set "no-such-set" is not loaded`}, false},
		{"ambiguous variants", "rules/upa/dup.rego", strings.Replace(tsRuleBody, "title: Upadacitinib above the maximum", "title: Another title", 1),
			[]string{"rule-id: rule ID upadacitinib.dose-max: this variant has the same drugs and hooks"}, false},
		{"body names another rule", "rules/upa/other.rego", strings.Replace(strings.Replace(tsRuleBody, "id: upadacitinib.dose-max", "id: upadacitinib.other", 1), "title: Upadacitinib above the maximum", "title: Other", 1),
			[]string{"rule-id: METADATA says upadacitinib.other but the rule names upadacitinib.dose-max"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := engine.Check(context.Background(), with(testSet(), tt.path, tt.body))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range rep.Problems {
				got = append(got, p.Check+": "+p.File+":"+strconv.Itoa(p.Row)+": "+p.Message)
			}
			all := strings.Join(got, "\n")
			for _, w := range tt.want {
				check, frag, _ := strings.Cut(w, ": ")
				found := false
				for _, p := range rep.Problems {
					line := p.File + ":" + strconv.Itoa(p.Row) + " " + p.Message
					if p.Check == check && (strings.Contains(p.Message, frag) || strings.HasPrefix(line, frag)) {
						found = true
					}
				}
				if !found {
					t.Errorf("want a %s problem %q; got:\n%s", check, frag, all)
				}
			}
			errs := 0
			for _, p := range rep.Problems {
				if p.Severity == engine.SeverityError {
					errs++
				}
			}
			if errs != len(tt.want) || rep.OK() {
				t.Errorf("want %d problems, got:\n%s", len(tt.want), all)
			}
			if tt.fixed != (len(rep.Unformatted) > 0) {
				t.Errorf("Unformatted = %v", rep.Unformatted)
			}
		})
	}
}
