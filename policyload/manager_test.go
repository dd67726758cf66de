package policyload

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/facts"
)

// copyDir copies src to a new temporary directory, skipping the
// directories named in skip.
func copyDir(t *testing.T, src string, skip ...string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			for _, s := range skip {
				if d.Name() == s {
					return filepath.SkipDir
				}
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !strings.HasSuffix(p, ".rego") && !strings.HasSuffix(p, ".json") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// edit replaces old with new in a file, failing when old is absent.
func edit(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func loadDir(t *testing.T, dir string) *engine.PolicySet {
	t.Helper()
	ps, err := engine.Load(context.Background(), os.DirFS(dir), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func miniInput(dose float64) *facts.Input {
	return &facts.Input{Version: facts.Version, Service: "svc", Hook: "order-sign", HookInstance: "hi", Now: "2026-11-23T12:00:00Z",
		Orders: []facts.Med{{Ref: "MedicationRequest/1", ResourceType: "MedicationRequest", Target: "upadacitinib", DailyDoseMg: &dose, ValueSets: []string{}}}}
}

func newManager(t *testing.T, ps *engine.PolicySet, outcomes *[]string) *Manager {
	t.Helper()
	var mu sync.Mutex
	m, err := New(Config{Active: engine.NewActive(ps), Debounce: 100 * time.Millisecond, OnReload: func(o string) {
		if outcomes != nil {
			mu.Lock()
			*outcomes = append(*outcomes, o)
			mu.Unlock()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestReloadUnderConcurrentLoad swaps the policy set 20 times through the
// full gate while several goroutines evaluate without pause: no request
// may fail, and every answer must come from one whole policy set.
func TestReloadUnderConcurrentLoad(t *testing.T) {
	ctx := context.Background()
	dir := copyDir(t, "testdata/mini")
	m := newManager(t, loadDir(t, dir), nil)
	params := filepath.Join(dir, "data", "params.json")

	stop := make(chan struct{})
	var evals, failures atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := miniInput(450)
			for {
				select {
				case <-stop:
					return
				default:
				}
				ps := m.cfg.Active.Load()
				res, err := ps.Evaluate(ctx, engine.Request{Service: "svc", Input: in})
				evals.Add(1)
				if err == nil && (len(res.Cards) != 1 || !strings.Contains(res.Cards[0].Summary, "maximum of ")) {
					err = errors.New("want one dose card, got " + strconv.Itoa(len(res.Cards)))
				}
				if err == nil {
					// The card names the maximum of the set it came from.
					ext := res.Cards[0].Extension[engine.ExtensionKey]
					if ext == nil {
						err = errors.New("card without extension")
					}
				}
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	revisions := map[string]bool{m.cfg.Active.Load().Revision: true}
	for i := 1; i <= 20; i++ {
		edit(t, params, `"maxDose": `+strconv.Itoa(29+i), `"maxDose": `+strconv.Itoa(30+i))
		if err := m.attempt(ctx, m.dirCandidate(dir, "")); err != nil {
			t.Fatalf("swap %d: %v", i, err)
		}
		revisions[m.cfg.Active.Load().Revision] = true
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d of %d evaluations failed during the swaps; first: %v", n, evals.Load(), firstErr.Load())
	}
	if len(revisions) != 21 {
		t.Errorf("%d distinct revisions, want 21", len(revisions))
	}
	st := m.Status()
	if st.Reloads[OutcomeActivated] != 20 || st.LastAttempt.Outcome != OutcomeActivated || st.LastAttempt.Tests.Passed != 2 {
		t.Errorf("status %+v, last attempt %+v", st.Reloads, st.LastAttempt)
	}
	t.Logf("%d evaluations, 0 failed, during 20 swaps", evals.Load())
}

func TestRejectedSetsKeepTheLastGoodOne(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		file      string
		old, new  string
		wantError string
	}{
		{"syntax error", "rules/upa/upa.rego", "findings contains f if {", "findings contains f if {{", "rules/upa/upa.rego"},
		{"metadata removed", "rules/upa/upa.rego", "# title: Upadacitinib above the maximum\n", "", "missing title"},
		{"rego test fails", "data/params.json", `"maxDose": 30`, `"maxDose": 500`, "1 of 2 Rego tests failed: labelguard.rules.upa_test.test_fires_above_max"},
		{"data file broken", "data/params.json", `"maxDose": 30`, `"maxDose": 30,,`, "params.json"},
		{"typo in a finding's rule ID", "rules/upa/upa.rego", `"rule": "upadacitinib.dose-max"`, `"rule": "upadacitinib.dose-mx"`,
			`rules/upa/upa.rego:23: [rule-id] rule upadacitinib.dose-max (METADATA at rules/upa/upa.rego:18) yields a finding for rule "upadacitinib.dose-mx", which no METADATA declares`},
		{"parameter of the wrong type", "data/params.json", `"maxDose": 30`, `"maxDose": "30"`, "data/params.json:1: maxDose: got string, want number"},
		// Loads, but check refuses it: the reload runs check.
		{"not formatted as opa fmt formats it", "rules/upa/upa.rego", "findings contains f if {", "findings contains f    if {", "check found 1 error(s): rules/upa/upa.rego:18: [format] not formatted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, "testdata/mini")
			good := loadDir(t, dir)
			var outcomes []string
			m := newManager(t, good, &outcomes)
			edit(t, filepath.Join(dir, tt.file), tt.old, tt.new)
			err := m.attempt(ctx, m.dirCandidate(dir, ""))
			if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), tt.wantError) {
				t.Fatalf("error %v, want a rejection mentioning %q", err, tt.wantError)
			}
			if m.cfg.Active.Load() != good {
				t.Error("the rejected set replaced the good one")
			}
			res, err := m.cfg.Active.Load().Evaluate(ctx, engine.Request{Service: "svc", Input: miniInput(45)})
			if err != nil || len(res.Cards) != 1 {
				t.Errorf("the last good set does not serve: %v", err)
			}
			st := m.Status()
			if st.Revision != good.Revision || st.LastAttempt == nil || st.LastAttempt.Outcome != OutcomeRejected || !strings.Contains(st.LastAttempt.Error, tt.wantError) {
				t.Errorf("status %+v", st)
			}
			if len(outcomes) != 1 || outcomes[0] != OutcomeRejected || st.Reloads[OutcomeRejected] != 1 {
				t.Errorf("outcomes %v, reloads %v", outcomes, st.Reloads)
			}
		})
	}
}

// TestFailingRegoTestOfDefaultSetRejected widens the lab window in the
// default policy set without updating its tests: the test that a 91-day-old
// ANC is stale fails, so the change is refused.
func TestFailingRegoTestOfDefaultSetRejected(t *testing.T) {
	ctx := context.Background()
	dir := copyDir(t, "../policies", "testdata")
	good := loadDir(t, dir)
	m := newManager(t, good, nil)
	edit(t, filepath.Join(dir, "data", "params.json"), `"labWindowDays": 90`, `"labWindowDays": 120`)
	err := m.attempt(ctx, m.dirCandidate(dir, ""))
	if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "test_anc_stale_outside_window_does_not_fire") {
		t.Fatalf("error %v", err)
	}
	if m.Status().Revision != good.Revision {
		t.Error("the old revision no longer serves")
	}
}

func TestSiteParamsOverridesInStatus(t *testing.T) {
	ctx := context.Background()
	dir := copyDir(t, "testdata/mini")
	m := newManager(t, loadDir(t, dir), nil)
	site := filepath.Join(t.TempDir(), "site.json")
	if err := os.WriteFile(site, []byte(`{"jurisdiction": "EU", "rules": {"upadacitinib.dose-max": {"indicator": "warning"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.attempt(ctx, m.dirCandidate(dir, site)); err != nil {
		t.Fatal(err)
	}
	st := m.Status()
	want := Override{Rule: "upadacitinib.dose-max", Indicator: "warning"}
	if st.SiteParams.Jurisdiction != "EU" || len(st.SiteParams.Overrides) != 1 || st.SiteParams.Overrides[0] != want || st.SiteParams.File != site {
		t.Errorf("site params %+v", st.SiteParams)
	}
	res, _ := m.cfg.Active.Load().Evaluate(ctx, engine.Request{Service: "svc", Input: miniInput(45)})
	if len(res.Cards) != 1 || res.Cards[0].Indicator != "warning" {
		t.Errorf("cards %+v", res.Cards)
	}
	// Raising an indicator is refused, and the lowered set keeps serving.
	if err := os.WriteFile(site, []byte(`{"rules": {"upadacitinib.dose-max": {"enabled": false}, "no.such-rule": {"enabled": false}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.attempt(ctx, m.dirCandidate(dir, site)); err == nil || !strings.Contains(err.Error(), "no such rule") {
		t.Errorf("error %v", err)
	}
	if m.Status().SiteParams.Jurisdiction != "EU" {
		t.Error("the rejected site file replaced the good one")
	}
	// An unchanged candidate is left alone.
	if err := os.WriteFile(site, []byte(`{"jurisdiction": "EU", "rules": {"upadacitinib.dose-max": {"indicator": "warning"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	before := m.cfg.Active.Load()
	if err := m.attempt(ctx, m.dirCandidate(dir, site)); err != nil {
		t.Fatal(err)
	}
	if m.cfg.Active.Load() != before || m.Status().LastAttempt.Outcome != OutcomeUnchanged {
		t.Errorf("an unchanged candidate was activated again: %+v", m.Status().LastAttempt)
	}
}
