package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/internal/testpolicies"
	"github.com/labelguard/labelguard/metrics"
)

// A rule defect answers 200 with every other card and a rule-failure card;
// the failure is counted (its series present from activation) and logged
// once with the package and rule, not once per call.
func TestRuleFailureAnswers200AndIsCountedAndLoggedOnce(t *testing.T) {
	t.Parallel()
	set := testpolicies.With(t, map[string]string{"rules/jak/typo.rego": testpolicies.TypoRule})
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
