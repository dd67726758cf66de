package corpus_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/fhir"
	tp "github.com/labelguard/labelguard/internal/testpatient"
	"github.com/labelguard/labelguard/loadgen/corpus"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/policies"
)

// TestStormSessions: each order session is answered with cards at every
// call, under the patient id the sender gives it (no trace of the
// variant's own), and with the caches on it reuses what the storm means it
// to: after the first call, the dispense edit (read only by the cream's
// rules, and the storm's orders are oral: engine.PolicySet.InputReaders),
// the note no rule reads and the repeat are answered from the decision
// cache, and so is the order-sign of the order as last selected (the
// served policy set is cross-hook: engine.PolicySet.CrossHook), on the
// prefetch the session's first call decoded.
func TestStormSessions(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	bases, err := corpus.LoadPatients(filepath.Dir(tp.SamplePath("x.json")))
	if err != nil {
		t.Fatal(err)
	}
	n := len(corpus.Orders)
	sessions, err := corpus.Storm(bases, n, now)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ok, where := ps.CrossHook(); !ok {
		t.Fatalf("the served policy set is hook-bound (%s): the order-sign would be evaluated", where)
	}
	wantCached := []bool{false, true, true, true, true}
	// The facts are derived again when the draft changes (the dispense, the
	// note), and reused for the repeat and the order-sign.
	wantDerived := []bool{false, false, false, true, true}
	if len(corpus.StormEdits) != len(wantCached) {
		t.Fatalf("%d steps named, the test knows %d", len(corpus.StormEdits), len(wantCached))
	}
	for i, session := range sessions {
		if len(session) != len(wantCached) {
			t.Fatalf("session %d has %d calls, want %d", i, len(session), len(wantCached))
		}
		pl := &pipeline.Pipeline{Cache: fhir.NewPrefetchCache(time.Minute, 64<<20), Decisions: pipeline.NewDecisionCache(time.Minute, 16<<20)}
		patient := corpus.UUID(uint64(i), 0xabc)
		for k, r := range session {
			body := r.WithIDs(corpus.UUID(uint64(i), uint64(k)), patient)
			if bytes.Contains(body, []byte(r.PatientID)) || len(r.PatientAt) < 3 {
				t.Fatalf("session %d call %d: the variant's patient id remains (%d occurrences replaced)", i, k, len(r.PatientAt))
			}
			out, hc, err := answer(pl, ps, r, body, now.Add(time.Duration(k)*time.Second))
			if err != nil {
				t.Fatalf("session %d call %d (%s): %v", i, k, corpus.StormEdits[k], err)
			}
			if hc.Order.PatientID != patient {
				t.Fatalf("session %d call %d: patient %s, want %s", i, k, hc.Order.PatientID, patient)
			}
			if len(out.Cards) == 0 || out.Input == nil || out.Input.Input.Patient.Ref != "Patient/"+patient {
				t.Fatalf("session %d call %d (%s): %d cards for %v; want cards for the session's patient", i, k, corpus.StormEdits[k], len(out.Cards), out.Input)
			}
			if out.DecisionCached != wantCached[k] {
				t.Errorf("session %d call %d (%s): answered from the decision cache %v, want %v", i, k, corpus.StormEdits[k], out.DecisionCached, wantCached[k])
			}
			if out.DerivedCached != wantDerived[k] {
				t.Errorf("session %d call %d (%s): facts of an earlier call %v, want %v", i, k, corpus.StormEdits[k], out.DerivedCached, wantDerived[k])
			}
		}
		if hits, _ := pl.Cache.Stats(); hits == 0 {
			t.Errorf("session %d: no prefetch value decoded once and reused", i)
		}
	}
}

// answer decodes a request body as the handler does and answers it with
// the pipeline pl.
func answer(pl *pipeline.Pipeline, ps *engine.PolicySet, r *corpus.Request, body []byte, at time.Time) (*pipeline.Outcome, *cdshooks.HookContext, error) {
	req, err := cdshooks.DecodeRequest(bytes.NewReader(body), cdshooks.Limits{})
	if err != nil {
		return nil, nil, err
	}
	hc, err := cdshooks.DecodeContext(req.Hook, req.Context)
	if err != nil {
		return nil, nil, err
	}
	svc, _ := ps.Service(r.Service)
	out, err := pl.Run(context.Background(), pipeline.Call{Policies: ps, Service: svc, Request: req, Context: hc, Now: at})
	return out, hc, err
}
