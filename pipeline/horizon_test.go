package pipeline

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/internal/testpolicies"
	"github.com/labelguard/labelguard/policies"
)

func TestLookbackOfTemplates(t *testing.T) {
	ctx := context.Background()
	ps, err := engine.Load(ctx, policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	windows, ok := analyteWindows(ctx, ps)
	if !ok {
		t.Fatal("the lab windows could not be read from the policy set")
	}
	if windows["anc"] != 90 || windows["tb"] != 365 || windows["hcg"] != 30 {
		t.Fatalf("windows %v", windows)
	}
	for _, none := range []string{"smoking", "cyp2c19"} {
		if _, ok := windows[none]; ok {
			t.Fatalf("%s has a window: %v", none, windows)
		}
	}
	_, labs, _ := ps.Tables()
	for _, tc := range []struct {
		name, tmpl string
		days       float64
		ok         bool
	}{
		{"CBC codes", "Observation?patient={{context.patientId}}&code=http://loinc.org|751-8,http://loinc.org|718-7&_sort=-date", 90, true},
		{"CBC and TB: the longest", "Observation?patient={{context.patientId}}&code=http://loinc.org|751-8&code=http://loinc.org|71773-6", 365, true},
		{"smoking has no window", "Observation?patient={{context.patientId}}&code=http://loinc.org|751-8,http://loinc.org|72166-2", 0, false},
		{"a code no analyte has", "Observation?patient={{context.patientId}}&code=http://loinc.org|751-8,http://loinc.org|0000-0", 0, false},
		{"by category: any analyte, CYP2C19 included", "Observation?patient={{context.patientId}}&category=laboratory&_sort=-date", 0, false},
		{"not an Observation search", "Condition?patient={{context.patientId}}", 0, false},
	} {
		d, ok := templateLookback(tc.tmpl, labs, windows)
		if d != tc.days || ok != tc.ok {
			t.Errorf("%s: %v %v, want %v %v", tc.name, d, ok, tc.days, tc.ok)
		}
	}

	// The default services read smoking status and CYP2C19 with no window:
	// neither observation key is cut short.
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	svc, _ := ps.Service("jak-order-sign")
	if h := horizons(ctx, ps, svc, now); len(h) != 0 {
		t.Fatalf("default horizons %v", h)
	}

	// A service whose lab key reads only windowed analytes gets a horizon.
	set := testpolicies.With(t, nil)
	set["services.json"].Data = bytes.ReplaceAll(set["services.json"].Data,
		[]byte(`Observation?patient={{context.patientId}}&category=laboratory&_sort=-date`),
		[]byte(`Observation?patient={{context.patientId}}&code=http://loinc.org|751-8,http://loinc.org|5196-1&_sort=-date`))
	ps2, err := engine.Load(ctx, set, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, _ = ps2.Service("jak-order-sign")
	want := map[string]time.Time{"labObservations": now.AddDate(0, 0, -365)}
	if diff := cmp.Diff(want, horizons(ctx, ps2, svc, now)); diff != "" {
		t.Fatalf("horizons (-want +got):\n%s", diff)
	}
}

func TestMergeIssuesKeepsTheFetchReason(t *testing.T) {
	derived := []facts.DataIssue{
		{Kind: "missing-key", Key: "conditions"},
		{Kind: "paging-capped", Key: "observations", Detail: "the Bundle's total exceeds its entries, and it has no next link"},
		{Kind: "paging-capped", Key: "allergies"},
		{Kind: "dropped", Key: "observations", Count: 1, Detail: "invalid Observation"},
	}
	fetch := []facts.DataIssue{
		{Kind: "fetch-failed", Key: "conditions", Detail: "timeout"},
		{Kind: "fetch-failed", Key: "observations", Detail: "partial: 5xx"},
	}
	want := []facts.DataIssue{
		{Kind: "paging-capped", Key: "allergies"},
		{Kind: "dropped", Key: "observations", Count: 1, Detail: "invalid Observation"},
		{Kind: "fetch-failed", Key: "conditions", Detail: "timeout"},
		{Kind: "fetch-failed", Key: "observations", Detail: "partial: 5xx"},
	}
	if diff := cmp.Diff(want, mergeIssues(derived, fetch)); diff != "" {
		t.Fatalf("issues (-want +got):\n%s", diff)
	}
}
