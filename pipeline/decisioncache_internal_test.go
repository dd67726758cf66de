package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/fhir"
	"github.com/labelguard/labelguard/policies"
)

// TestDecisionKeyAndTime: the key ignores the time of day (the input it
// hashes is the same a minute later, results' ages and all) but not the
// UTC date: a decision made at 23:59:30 never answers a call at 00:00:30,
// even when everything the rules read is otherwise the same.
func TestDecisionKeyAndTime(t *testing.T) {
	ps, svc, req, hc := lowANCCall(t)
	c := NewDecisionCache(time.Minute, 1<<20)
	key := func(now time.Time) ([32]byte, string) {
		t.Helper()
		d, err := (&Pipeline{}).Derive(context.Background(), Call{Policies: ps, Service: svc, Request: req, Context: hc, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		k, _, err := c.decisionKey(ps, svc, hc.Order.PatientID, &d.Input, now)
		if err != nil {
			t.Fatal(err)
		}
		in, err := json.Marshal(timeless(&d.Input))
		if err != nil {
			t.Fatal(err)
		}
		return k, string(in)
	}
	noon := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	k1, in1 := key(noon)
	k2, in2 := key(noon.Add(time.Minute))
	if in1 != in2 {
		t.Fatalf("the keyed input changes within a minute:\n%s\n%s", in1, in2)
	}
	if k1 != k2 {
		t.Error("the key changes within a minute of the same day")
	}
	k3, in3 := key(time.Date(2026, 11, 23, 23, 59, 30, 0, time.UTC))
	k4, in4 := key(time.Date(2026, 11, 24, 0, 0, 30, 0, time.UTC))
	if in3 != in4 {
		t.Fatalf("the keyed input changes across midnight (the test wants it the same, to show the date alone changes the key):\n%s\n%s", in3, in4)
	}
	if k3 == k4 {
		t.Error("a decision of 23:59:30 would answer a call at 00:00:30, the next UTC day")
	}
}

// BenchmarkPerfDecisionKey is what the decision cache costs every call it
// is on for: the key of the focused request's derived input (the input
// encoded to JSON into SHA-256, times masked).
func BenchmarkPerfDecisionKey(b *testing.B) {
	ps, svc, req, hc := lowANCCall(b)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	d, err := (&Pipeline{}).Derive(context.Background(), Call{Policies: ps, Service: svc, Request: req, Context: hc, Now: now})
	if err != nil {
		b.Fatal(err)
	}
	c := NewDecisionCache(time.Minute, 1<<20)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.decisionKey(ps, svc, hc.Order.PatientID, &d.Input, now); err != nil {
			b.Fatal(err)
		}
	}
}

// lowANCCall is the committed order-sign request, decoded, with the
// default policy set and its order-sign service.
func lowANCCall(tb testing.TB) (*engine.PolicySet, engine.Service, *cdshooks.Request, *cdshooks.HookContext) {
	tb.Helper()
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	body, err := os.ReadFile(filepath.Join("..", "api", "testdata", "requests", "upadacitinib-45mg-low-anc.json"))
	if err != nil {
		tb.Fatal(err)
	}
	req, err := cdshooks.DecodeRequest(bytes.NewReader(body), cdshooks.Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	hc, err := cdshooks.DecodeContext(req.Hook, req.Context)
	if err != nil {
		tb.Fatal(err)
	}
	svc, _ := ps.Service("jak-order-sign")
	return ps, svc, req, hc
}

// TestCallKey: calls whose service, hook or selections differ never share
// a key, however their ids are spelled.
func TestCallKey(t *testing.T) {
	calls := []fhir.Call{
		{Service: "s", Hook: "order-select", Selections: []string{"MedicationRequest/a", "MedicationRequest/b"}},
		{Service: "s", Hook: "order-select", Selections: []string{"MedicationRequest/a\x00MedicationRequest/b"}},
		{Service: "s", Hook: "order-select", Selections: []string{"MedicationRequest/a\x13MedicationRequest/b"}},
		{Service: "s", Hook: "order-select"},
		{Service: "s", Hook: "order-select", Selections: []string{""}},
		{Service: "s\x00order-select", Hook: ""},
		{Service: "s", Hook: "order-sign"},
	}
	seen := map[string]int{}
	for i, c := range calls {
		k := callKey(c)
		if j, ok := seen[k]; ok {
			t.Errorf("calls %d and %d share a key: %+v, %+v", j, i, calls[j], c)
		}
		seen[k] = i
	}
	if callKey(fhir.Call{Service: "s", Hook: "h", HookInstance: "x"}) != callKey(fhir.Call{Service: "s", Hook: "h", HookInstance: "y"}) {
		t.Error("the hookInstance changed the key: cards take it from the call, the decision does not depend on it")
	}
}
