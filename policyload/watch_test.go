package policyload

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labelguard/labelguard/scenario"
)

// TestWatchDirEndToEnd copies the default policy set, serves it with
// WatchDir, raises the ANC threshold from 1.0 to 1.5 (with its Rego tests,
// as docs/policy-authoring.md describes) and sees the new revision serve a
// card for an ANC of 1.2 that the old one did not give.
func TestWatchDirEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("fsnotify end-to-end")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := copyDir(t, "../policies", "testdata")
	first := loadDir(t, dir)
	m := newManager(t, first, nil)
	if err := m.WatchDir(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	if st := m.Status(); st.Revision != first.Revision || !strings.HasPrefix(st.Source, "directory ") {
		t.Fatalf("status after WatchDir: %+v", st)
	}

	s, err := scenario.LoadFile("../policies/testdata/scenarios/010-kermit-upadacitinib-45mg-low-anc-hgb.json")
	if err != nil {
		t.Fatal(err)
	}
	s.Add[0]["valueQuantity"].(map[string]any)["value"] = 1.2
	ancCard := func() (bool, string) {
		res, err := scenario.Run(ctx, m.cfg.Active.Load(), s)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Outcome.Findings {
			if f.Rule == "jak.lab-anc-low" {
				return true, f.Summary
			}
		}
		return false, ""
	}
	if got, _ := ancCard(); got {
		t.Fatal("ANC 1.2 fires with the default threshold of 1.0")
	}

	edit(t, filepath.Join(dir, "profiles/upadacitinib.json"), `"anc": {
      "below": 1
    }`, `"anc": {
      "below": 1.5
    }`)
	tests := filepath.Join(dir, "rules/jak/labs_test.rego")
	edit(t, tests, `t.lab("anc", 0.99, 5)`, `t.lab("anc", 1.49, 5)`)
	edit(t, tests, `t.lab("anc", 1.0, 5)`, `t.lab("anc", 1.5, 5)`)

	deadline := time.Now().Add(60 * time.Second)
	for m.Status().Revision == first.Revision {
		if time.Now().After(deadline) {
			t.Fatalf("no reload within 60s: %+v", m.Status().LastAttempt)
		}
		time.Sleep(100 * time.Millisecond)
	}
	st := m.Status()
	if st.LastAttempt.Outcome != OutcomeActivated || st.LastAttempt.Tests.Failed != 0 || st.LastAttempt.Tests.Passed < 100 {
		t.Fatalf("last attempt %+v", st.LastAttempt)
	}
	got, summary := ancCard()
	if !got || !strings.Contains(summary, "below 1.5") {
		t.Errorf("after the change: card %v, summary %q", got, summary)
	}

	// A broken save (a card template that does not parse) is rejected
	// and the changed set keeps serving.
	rev := st.Revision
	edit(t, filepath.Join(dir, "rules/jak/labs.rego"), "is below {{num .limit}} — ", "is below {{num .limit} — ")
	deadline = time.Now().Add(60 * time.Second)
	for {
		st = m.Status()
		if st.LastAttempt.Outcome == OutcomeRejected {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("broken save not rejected within 60s: %+v", st.LastAttempt)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st.Revision != rev || !strings.Contains(st.LastAttempt.Error, "labs.rego") || !strings.Contains(st.LastAttempt.Error, "custom.card.summary") {
		t.Errorf("status %+v", st)
	}
	if got, _ := ancCard(); !got {
		t.Error("the last good set stopped serving")
	}
	if !slices.Contains([]int{1}, st.Reloads[OutcomeRejected]) {
		t.Errorf("reloads %v", st.Reloads)
	}
}
