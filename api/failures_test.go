package api_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/metrics"
	"github.com/labelguard/labelguard/policies"
)

// typoRule is a new rule in the package of the neutrophil rule whose
// finding misspells its own rule ID, built at run time so that no static
// check refuses it (written literally, Load would).
const typoRule = `package labelguard.rules.jak

import data.labelguard.lib

# METADATA
# title: A new check
# custom:
#   id: jak.new-check
#   indicator: warning
#   drugs: [upadacitinib, abrocitinib, baricitinib]
#   source:
#     topic: labs
findings contains {"rule": concat(".", ["jak", "new-chek"]), "indicator": "warning", "summary": "A new check", "order": order.ref} if {
	some order in lib.oral_jaki_orders
}
`

// A rule defect answers 200 with every other card and a rule-failure card;
// the failure is counted (its series present from activation) and logged
// once with the package and rule, not once per call.
func TestRuleFailureAnswers200AndIsCountedAndLoggedOnce(t *testing.T) {
	t.Parallel()
	set := fstest.MapFS{}
	if err := fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(policies.FS, p)
		set[p] = &fstest.MapFile{Data: b}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	set["rules/jak/typo.rego"] = &fstest.MapFile{Data: []byte(typoRule)}
	ps, err := engine.Load(context.Background(), set, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	m.SetPolicyRevision(ps.Revision, ps.FailureSeries()...)
	logs := &lockedBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	h := api.New(api.Config{AuthDisabled: true, Metrics: m, EvalTimeout: time.Minute,
		Now: func() time.Time { return evalTime }}, engine.NewActive(ps), log).Handler()

	if !strings.Contains(scrape(t, h), `labelguard_rule_failures_total{package="jak",rule="jak.lab-anc-low"} 0`) {
		t.Fatal("the rule failure series are not present before the first failure")
	}
	body := readFile(t, "testdata/requests/upadacitinib-45mg-low-anc.json")
	for range 3 {
		rec := do(t, h, http.MethodPost, "/cds-services/jak-order-sign", "application/json", body)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var resp cdshooks.Response
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, c := range resp.Cards {
			got[c.Source.Topic.Code] = true
		}
		for _, want := range []string{"jak.lab-anc-low", "upadacitinib.dose-max", engine.RuleFailureRule} {
			if !got[want] {
				t.Errorf("no %s card: %v", want, got)
			}
		}
	}
	if !strings.Contains(scrape(t, h), `labelguard_rule_failures_total{package="jak",rule="unknown"} 3`) {
		t.Errorf("three failures not counted:\n%s", grepLines(scrape(t, h), "labelguard_rule_failures_total{package=\"jak\""))
	}
	lines := grepLines(logs.String(), "rule failure")
	if n := strings.Count(lines, "rule failure: a check could not be made"); n != 1 {
		t.Fatalf("the failure was logged %d times in 3 calls, want once:\n%s", n, lines)
	}
	for _, w := range []string{`"package":"jak"`, `"rule":"jak.new-chek"`, `which no METADATA in the policy set declares`, `"policy_revision":"sha256:`} {
		if !strings.Contains(lines, w) {
			t.Errorf("log line lacks %s:\n%s", w, lines)
		}
	}
}
