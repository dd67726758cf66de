package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/metrics"
	"github.com/labelguard/labelguard/phi"
	"github.com/labelguard/labelguard/pipeline"
)

// TestDecisionCacheJoinsFeedbackAndAudit: an order-sign sent again with
// another hookInstance is answered from the decision cache with the same
// cards under UUIDs of its own hookInstance; the audit records those
// UUIDs, feedback on them joins, the hit is counted and logged, and
// neither the log nor the metrics name the patient.
func TestDecisionCacheJoinsFeedbackAndAudit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, q := auditStore(t)
	hasher, err := phi.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	h, logs := newServer(t, func(c *api.Config) {
		c.Audit, c.Store, c.Hasher, c.Metrics = q, st, hasher, m
		c.DecisionCache = pipeline.NewDecisionCache(time.Minute, 1<<20)
	})
	first := requestFile(t, goldenCases[0])
	const secondInstance = "3b8f0d4e-2c1a-4f5e-9a7b-6c5d4e3f2a10"
	var req map[string]any
	if err := json.Unmarshal(first, &req); err != nil {
		t.Fatal(err)
	}
	patientID := req["context"].(map[string]any)["patientId"].(string)
	req["hookInstance"] = secondInstance
	second, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}

	var answers [2]cdshooks.Response
	for i, body := range [][]byte{first, second} {
		rec := do(t, h, http.MethodPost, "/cds-services/jak-order-sign", "application/json", body)
		if rec.Code != http.StatusOK {
			t.Fatalf("call %d: %d %s", i+1, rec.Code, rec.Body)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &answers[i]); err != nil {
			t.Fatal(err)
		}
	}
	if len(answers[0].Cards) == 0 || len(answers[0].Cards) != len(answers[1].Cards) {
		t.Fatalf("%d cards, then %d: want the same cards", len(answers[0].Cards), len(answers[1].Cards))
	}
	var uuids []string
	for _, c := range answers[1].Cards {
		uuids = append(uuids, c.UUID)
	}
	// Compared below without their UUIDs.
	a, b := answers[0].Cards, answers[1].Cards
	for i := range b {
		ext := b[i].Extension[engine.ExtensionKey].(map[string]any)
		order, _ := ext["order"].(string)
		if want := engine.CardUUID(secondInstance, b[i].Source.Topic.Code, order); b[i].UUID != want {
			t.Errorf("card %d of the cached answer: UUID %s, want %s (from its own hookInstance)", i, b[i].UUID, want)
		}
		a[i].UUID, b[i].UUID = "", ""
		for j := range a[i].Suggestions {
			a[i].Suggestions[j].UUID, b[i].Suggestions[j].UUID = "", ""
		}
	}
	if ja, jb := mustJSON(t, a), mustJSON(t, b); ja != jb {
		t.Errorf("the cached answer differs beyond its UUIDs:\n%s\n%s", ja, jb)
	}

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	var hookLines []string
	for _, l := range lines {
		if strings.Contains(l, `"service":"jak-order-sign"`) && strings.Contains(l, `"cards":`) {
			hookLines = append(hookLines, l)
		}
	}
	if len(hookLines) != 2 || strings.Contains(hookLines[0], "decision_cached") || !strings.Contains(hookLines[1], `"decision_cached":true`) {
		t.Errorf("want the second call's log line, only, to say decision_cached:\n%s", strings.Join(hookLines, "\n"))
	}
	metricsText := scrape(t, h)
	for _, want := range []string{"labelguard_decision_cache_hits_total 1", "labelguard_decision_cache_misses_total 1", "labelguard_decision_cache_entries 1"} {
		if !strings.Contains(metricsText, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, grepLines(metricsText, "decision_cache"))
		}
	}
	if strings.Contains(logs.String(), patientID) || strings.Contains(metricsText, patientID) {
		t.Error("the log or the metrics name the patient")
	}

	fb := fmt.Sprintf(`{"feedback":[{"card":%q,"outcome":"overridden","outcomeTimestamp":"2026-11-23T12:01:00Z"}]}`, uuids[0])
	if rec := do(t, h, http.MethodPost, "/cds-services/jak-order-sign/feedback", "application/json", []byte(fb)); rec.Code != http.StatusOK {
		t.Fatalf("feedback: %d %s", rec.Code, rec.Body)
	}
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	ds, err := st.Decisions(ctx, evalTime.Add(-time.Hour), evalTime.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 {
		t.Fatalf("%d decisions audited, want 2", len(ds))
	}
	for _, d := range ds {
		if d.HookInstance != secondInstance {
			continue
		}
		if len(d.Cards) != len(uuids) {
			t.Fatalf("audit of the cached call: %d cards, answered %d", len(d.Cards), len(uuids))
		}
		for i, c := range d.Cards {
			if c.UUID != uuids[i] {
				t.Errorf("audit card %d: UUID %s, answered %s", i, c.UUID, uuids[i])
			}
		}
	}
	got, err := st.Feedback(ctx, evalTime.Add(-time.Hour), evalTime.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].Known {
		t.Errorf("feedback on a card of the cached answer: %+v, want one entry joined to its card", got)
	}
}

// TestDecisionCacheMetricsWithoutTheCache: the cache's series exist at zero
// on a pod that runs without it, so that one dashboard serves every pod.
func TestDecisionCacheMetricsWithoutTheCache(t *testing.T) {
	t.Parallel()
	h, _ := newServer(t, func(c *api.Config) { c.Metrics = metrics.New() })
	if rec := do(t, h, http.MethodPost, "/cds-services/jak-order-sign", "application/json", requestFile(t, goldenCases[0])); rec.Code != http.StatusOK {
		t.Fatalf("hook: %d %s", rec.Code, rec.Body)
	}
	got := scrape(t, h)
	for _, want := range []string{"labelguard_decision_cache_hits_total 0", "labelguard_decision_cache_misses_total 0", "labelguard_decision_cache_entries 0", "labelguard_decision_cache_bytes 0", "labelguard_decision_cache_derived_hits_total 0", "labelguard_decision_cache_derived_bytes 0"} {
		if !strings.Contains(got, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, grepLines(got, "decision_cache"))
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
