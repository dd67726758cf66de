package scenario_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/scenario"
)

// scenariosDir is policies/testdata/scenarios, relative to this package.
var scenariosDir = filepath.Join("..", "policies", "testdata", "scenarios")

// TestScenarios runs every scenario against the default policy set in
// every jurisdiction: a scenario whose cards differ by jurisdiction says
// so in expectIn.
func TestScenarios(t *testing.T) {
	ctx := context.Background()
	base, err := engine.Load(ctx, policies.FS, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	scenarios, err := scenario.Load(scenariosDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range engine.Jurisdictions {
		ps, err := base.InJurisdiction(ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		if ps.Jurisdiction() != j {
			t.Fatalf("InJurisdiction(%s) follows %s", j, ps.Jurisdiction())
		}
		for _, s := range scenarios {
			t.Run(j+"/"+strings.TrimSuffix(filepath.Base(s.File), ".json"), func(t *testing.T) {
				res, err := scenario.Run(ctx, ps, s)
				if err != nil {
					t.Fatal(err)
				}
				if !res.Passed() {
					t.Error(res.String())
				}
			})
		}
	}
}

// TestRequestIsDeterministic checks that building a request twice gives
// the same request (scenarios are not mutated by a run).
func TestRequestIsDeterministic(t *testing.T) {
	scenarios, err := scenario.Load(scenariosDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scenarios {
		a, _, _, err := s.Request()
		if errors.Is(err, scenario.ErrUnknownService) {
			continue // reported by TestScenarios
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _, _, err := s.Request()
		if err != nil {
			t.Fatal(err)
		}
		if string(a.Context) != string(b.Context) || len(a.Prefetch) != len(b.Prefetch) {
			t.Errorf("%s: two builds differ", s.Name)
		}
	}
}

// TestTestdataNotEmbedded: scenario files (and every testdata file) stay
// out of the default policy set.
func TestTestdataNotEmbedded(t *testing.T) {
	if _, err := fs.Stat(policies.FS, "testdata"); err == nil {
		t.Fatal("policies.FS contains testdata/")
	}
	err := fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(p, "testdata") || strings.Contains(p, "scenarios") {
			t.Errorf("policies.FS embeds %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLoadIsStrict: an unknown field is an error naming the file.
func TestLoadIsStrict(t *testing.T) {
	dir := t.TempDir()
	body := `{"name": "x", "description": "d", "now": "2026-11-23T12:00:00Z",
 "drafts": [{"resourceType": "MedicationRequest", "id": "m1", "status": "draft"}],
 "expect": {}, "expected": {}}`
	if err := os.WriteFile(filepath.Join(dir, "01-typo.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := scenario.Load(dir)
	if err == nil || !strings.Contains(err.Error(), "01-typo.json") || !strings.Contains(err.Error(), "expected") {
		t.Fatalf("want an error naming 01-typo.json and the field, got %v", err)
	}
}

// TestLoadChecksExpect: expectations must name draft orders.
func TestLoadChecksExpect(t *testing.T) {
	dir := t.TempDir()
	body := `{"name": "x", "description": "d", "now": "2026-11-23T12:00:00Z",
 "drafts": [{"resourceType": "MedicationRequest", "id": "m1", "status": "draft"}],
 "expect": {"MedicationRequest/m2": ["jak.allergy"]}}`
	if err := os.WriteFile(filepath.Join(dir, "01-bad-ref.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := scenario.Load(dir); err == nil || !strings.Contains(err.Error(), "MedicationRequest/m2") {
		t.Fatalf("want an error naming the unknown order, got %v", err)
	}
}
