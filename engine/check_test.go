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

// renamed is a rule file with its rule ID (METADATA and finding) changed.
func renamed(file, id string) string {
	return strings.ReplaceAll(file, "upadacitinib.dose-max", id)
}

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
			[]string{"rule-id: rules/upa/other.rego:18 rule upadacitinib.other (METADATA at rules/upa/other.rego:13) yields a finding for rule upadacitinib.dose-max"}, false},
		{"typo in a finding's rule ID", "rules/upa/typo.rego", strings.Replace(strings.Replace(tsRuleBody, "id: upadacitinib.dose-max", "id: upadacitinib.second", 1), `"rule": "upadacitinib.dose-max"`, `"rule": "upadacitinib.secnd"`, 1),
			[]string{`rule-id: rules/upa/typo.rego:18 rule upadacitinib.second (METADATA at rules/upa/typo.rego:13) yields a finding for rule "upadacitinib.secnd", which no METADATA declares`}, false},
		{"indicator differs from METADATA", "rules/upa/ind.rego", strings.Replace(renamed(tsRuleBody, "upadacitinib.third"), `"indicator": "critical",`, `"indicator": "warning",`, 1),
			[]string{`rule-id: rules/upa/ind.rego:19 rule upadacitinib.third yields indicator "warning", which its METADATA at rules/upa/ind.rego:13 does not allow (critical)`}, false},
		{"rule package without package METADATA", "rules/pkg/pkg.rego", strings.Replace(renamed(tsRuleBody, "upadacitinib.fourth"), "package labelguard.rules.upa", "package labelguard.rules.pkg", 1),
			[]string{"reach: rules/pkg/pkg.rego:1 package labelguard.rules.pkg: no package METADATA"}, false},
		{"rule package on a hook no service serves", "rules/pkg/pkg.rego", strings.Replace(strings.Replace(renamed(tsRule, "upadacitinib.fifth"), "package labelguard.rules.upa", "package labelguard.rules.pkg", 1), "hooks: [order-sign]", "hooks: [order-sign, patient-view]", 1),
			[]string{`reach: rules/pkg/pkg.rego:1 package pkg runs on hook "patient-view", which no service in services.json serves`}, false},
		{"rule package of no target drug", "rules/pkg/pkg.rego", strings.Replace(strings.Replace(renamed(tsRule, "upadacitinib.sixth"), "package labelguard.rules.upa", "package labelguard.rules.pkg", 1), "drugs: [upadacitinib]\npackage", "drugs: [upadacitinib, tofacitinib]\npackage", 1),
			[]string{`reach: rules/pkg/pkg.rego:1 package pkg concerns drug "tofacitinib", which is no target drug`}, false},
		{"unknown site parameter", "lib/p.rego", "package labelguard.lib\n\np(name) := data.labelguard.params[name]\n\nw := p(\"labWindowDay\")\n",
			[]string{`params: lib/p.rego:5 site parameter "labWindowDay" is not in schema/site-params.schema.json`}, false},
		{"string for a number in params.json", "data/params.json", strings.Replace(tsParams, `"labWindowDays": 90`, `"labWindowDays": "90"`, 1),
			[]string{"data: data/params.json:3 labWindowDays: got string, want integer"}, false},
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

// A package that yields findings outside data.labelguard.rules (a typo in
// the package line) is never evaluated: check warns.
func TestCheckWarnsOfFindingsOutsideTheRulePackages(t *testing.T) {
	rep, err := engine.Check(context.Background(), with(testSet(), "lib/stray.rego", "package labelguard.rule.stray\n\nfindings contains {\"rule\": \"x.y\"} if input.a\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 1 || rep.Problems[0].Severity != engine.SeverityWarning ||
		rep.Problems[0].String() != "lib/stray.rego:1: warning [reach] package labelguard.rule.stray yields findings outside data.labelguard.rules: the engine never evaluates them (rule packages are labelguard.rules.<name>)" {
		t.Fatalf("problems = %v", rep.Problems)
	}
}

// In a rule several drugs share, check finds what would leave one drug's
// card out or cite another drug's label: a lookup whose map lacks a drug
// of the rule, a topic a drug's profile does not have, and one drug looked
// up by name (the zoster card that cited Cibinqo on every order).
func TestCheckFindsDrugLookupsThatWouldFail(t *testing.T) {
	const rule = `package labelguard.rules.jak

import data.labelguard.lib

my_sections := {
	"upadacitinib": "2.1",
	"abrocitinib": "2.1",
}

# METADATA
# title: A shared check
# custom:
#   id: jak.shared-check
#   indicator: info
#   drugs: [upadacitinib, abrocitinib, baricitinib]
#   source:
#     topic: labs
findings contains f if {
	some order in lib.oral_jaki_orders
	f := {
		"rule": "jak.shared-check",
		"indicator": "info",
		"summary": my_sections[order.target],
		"detail": concat(" ", [lib.see_also_topic(order.target, "lab"), lib.see_also_topic("abrocitinib", "labs")]),
		"order": order.ref,
	}
}
`
	rep, err := engine.Check(context.Background(), defaultWith(t, map[string]string{"rules/jak/shared.rego": rule}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range rep.Problems {
		got = append(got, p.String())
	}
	want := []string{
		"rules/jak/shared.rego:23: [lookup] rules.jak.my_sections has no entry for baricitinib, a drug rule jak.shared-check (METADATA at rules/jak/shared.rego:18) applies to: the lookup is undefined and the rule would never fire for it",
		`rules/jak/shared.rego:24: [lookup] rule jak.shared-check cites topic "lab", which profiles/upadacitinib.json does not have (sources.lab): the rule would never fire for upadacitinib`,
		`rules/jak/shared.rego:24: [lookup] rule jak.shared-check cites topic "lab", which profiles/abrocitinib.json does not have (sources.lab): the rule would never fire for abrocitinib`,
		`rules/jak/shared.rego:24: [lookup] rule jak.shared-check cites topic "lab", which profiles/baricitinib.json does not have (sources.lab): the rule would never fire for baricitinib`,
		`rules/jak/shared.rego:24: warning [lookup] rule jak.shared-check applies to upadacitinib, abrocitinib, baricitinib but looks up "abrocitinib" by name: every drug's card would read or cite abrocitinib's entry`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A string where a number belongs in a site's parameters is refused naming
// the file, line and key, as Load refuses it.
func TestCheckSiteParams(t *testing.T) {
	ps := engine.CheckSiteParams(policies.FS, []byte("{\n  \"labWindowDays\": \"30\"\n}\n"), "site.json")
	if len(ps) != 1 || ps[0].String() != "site.json:2: [params] labWindowDays: got string, want integer" {
		t.Fatalf("problems = %v", ps)
	}
	if ps := engine.CheckSiteParams(policies.FS, []byte(`{"labWindowDays": 30, "rules": {"jak.lab-anc-low": {"indicator": "warning"}}}`), "site.json"); len(ps) != 0 {
		t.Fatalf("a valid file: %v", ps)
	}
	_, err := engine.Load(context.Background(), policies.FS, engine.Options{SiteParams: []byte("{\"zosterVaccineAgeMin\": \"19\"}"), SiteParamsFile: "site.json"})
	if err == nil || !strings.Contains(err.Error(), "site.json:1: zosterVaccineAgeMin: got string, want integer") {
		t.Fatalf("Load: %v", err)
	}
}
