package policyload

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/facts"
)

func TestCompare(t *testing.T) {
	f := func(rule, order, ind string) engine.Finding {
		return engine.Finding{Rule: rule, Order: order, Indicator: ind, Summary: "s"}
	}
	base := []engine.Finding{f("a.x", "o1", "critical"), f("a.y", "o1", "warning"), f("a.z", "o2", "info")}
	cand := []engine.Finding{f("a.x", "o1", "critical"), f("a.y", "o1", "critical"), f("a.w", "o2", "info")}
	got := Compare(base, cand)
	want := []Change{
		{Kind: Appeared, Rule: "a.w", Order: "o2", To: "info"},
		{Kind: IndicatorChanged, Rule: "a.y", Order: "o1", From: "warning", To: "critical"},
		{Kind: Disappeared, Rule: "a.z", Order: "o2", From: "info"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	var tally Tally
	tally.Add(got)
	tally.Add(nil)
	s := tally.Summary()
	if s.Calls != 2 || s.ChangedCalls != 1 || s.Appeared != 1 || s.Disappeared != 1 || s.Indicator != 1 || s.Rules[1].Indicator["warning→critical"] != 1 {
		t.Errorf("summary %+v", s)
	}
}

func TestShadow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := copyDir(t, "testdata/mini")
	active := loadDir(t, dir)
	changes := make(chan Change, 10)
	results := make(chan string, 10)
	m, err := New(Config{Active: engine.NewActive(active), OnShadowChange: func(_ string, c Change) { changes <- c },
		OnShadowResult: func(_ string, _ *facts.Input, rev string, _ *engine.Result) { results <- rev }})
	if err != nil {
		t.Fatal(err)
	}
	if m.Shadow(ShadowCall{Service: "svc", Input: miniInput(45)}) {
		t.Error("queued without a shadow set")
	}
	cand := copyDir(t, "testdata/mini")
	edit(t, filepath.Join(cand, "data/params.json"), `"maxDose": 30`, `"maxDose": 50`)
	if err := m.SetShadowDir(ctx, cand, ""); err != nil {
		t.Fatal(err)
	}
	for _, dose := range []float64{45, 60, 15} {
		in := miniInput(dose)
		res, err := active.Evaluate(ctx, engine.Request{Service: "svc", Input: in})
		if err != nil {
			t.Fatal(err)
		}
		if !m.Shadow(ShadowCall{Service: "svc", Input: in, Active: res.Findings}) {
			t.Fatal("not queued")
		}
	}
	waitFor(t, "three shadow calls", func() bool {
		st := m.Status().Shadow
		return st != nil && st.Calls == 3
	})
	st := m.Status().Shadow
	if st.ChangedCalls != 1 || st.Disappeared != 1 || len(st.Rules) != 1 || st.Rules[0].Rule != "upadacitinib.dose-max" || st.ActiveRevision != active.Revision || st.Revision == active.Revision {
		t.Errorf("shadow status %+v", st)
	}
	if c := <-changes; c.Kind != Disappeared || c.Order != "MedicationRequest/1" {
		t.Errorf("change %+v", c)
	}
	for range 3 {
		if rev := <-results; rev == active.Revision || rev == "" {
			t.Errorf("shadow result reported with revision %q, want the candidate's", rev)
		}
	}
	// The active set is untouched: shadow never answers.
	if m.cfg.Active.Load() != active {
		t.Error("shadow replaced the active set")
	}
	m.SetShadow(ctx, nil, "")
	if m.Status().Shadow != nil || m.Shadow(ShadowCall{Service: "svc", Input: miniInput(45)}) {
		t.Error("shadow mode still on")
	}
}
