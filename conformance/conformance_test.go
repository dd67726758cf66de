package conformance_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/conformance"
)

var update = flag.Bool("update", false, "rewrite docs/conformance.md from the mapping")

const root = ".."

func load(t *testing.T) (*conformance.Mapping, map[string][]conformance.Row) {
	t.Helper()
	m, err := conformance.LoadMapping(filepath.Join(root, conformance.MappingFile))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := m.ReadSheets(".")
	if err != nil {
		t.Fatal(err)
	}
	return m, rows
}

// TestMapping fails when a service-side requirement of a sheet is missing
// from the mapping, a mapped ID is not a service-side requirement, a level
// differs from the sheet's, a requirement is met without a test or not met
// or not applicable without a note, or a mapped test does not exist.
func TestMapping(t *testing.T) {
	m, rows := load(t)
	idx, err := conformance.IndexTests(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range m.Check(rows, idx) {
		t.Error(err)
	}
	if len(rows["cds-hooks-2.0"]) < 100 || len(rows["hook-library-1.0.1"]) < 20 {
		t.Errorf("suspiciously few service-side rows: %d and %d", len(rows["cds-hooks-2.0"]), len(rows["hook-library-1.0.1"]))
	}
}

// TestDocIsCurrent fails when docs/conformance.md is not what the mapping
// generates; -update rewrites it.
func TestDocIsCurrent(t *testing.T) {
	m, _ := load(t)
	want := m.Markdown()
	path := filepath.Join(root, conformance.DocFile)
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (generate it: go run ./conformance/cmd/gen)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run go run ./conformance/cmd/gen (or go test ./conformance -run TestDocIsCurrent -update)", conformance.DocFile)
	}
}

// TestCheckCatchesProblems proves that the checks fail on each kind of
// defect, on a copy of the real mapping.
func TestCheckCatchesProblems(t *testing.T) {
	m, rows := load(t)
	idx, err := conformance.IndexTests(root)
	if err != nil {
		t.Fatal(err)
	}
	firstMet := slices.IndexFunc(m.Requirements, func(q conformance.Requirement) bool { return q.Status == conformance.StatusMet })
	firstShall := slices.IndexFunc(m.Requirements, func(q conformance.Requirement) bool { return q.Level == "SHALL" })
	for _, tc := range []struct {
		name, want string
		mod        func(*conformance.Mapping)
	}{
		{"missing requirement", "missing from the mapping", func(m *conformance.Mapping) { m.Requirements = m.Requirements[1:] }},
		{"vanished test", "no func TestThatDoesNotExist", func(m *conformance.Mapping) {
			m.Requirements[firstMet].Tests = []string{"api.TestThatDoesNotExist"}
		}},
		{"vanished subtest", "subtest", func(m *conformance.Mapping) {
			m.Requirements[firstMet].Tests = []string{"api.TestBadInput/no_such_case_anywhere"}
		}},
		{"met without test", "no test proves it", func(m *conformance.Mapping) { m.Requirements[firstMet].Tests = nil }},
		{"SHALL not met without note", "without a note", func(m *conformance.Mapping) {
			m.Requirements[firstShall].Status, m.Requirements[firstShall].Note = conformance.StatusNotMet, ""
		}},
		{"unknown status", "status", func(m *conformance.Mapping) { m.Requirements[firstShall].Status = "partial" }},
		{"wrong level", "the sheet says", func(m *conformance.Mapping) { m.Requirements[firstShall].Level = "MAY" }},
		{"client requirement", "not a service-side requirement", func(m *conformance.Mapping) {
			m.Requirements = append(m.Requirements, conformance.Requirement{Sheet: "hook-library-1.0.1", ID: "1", Text: "x", Level: "SHALL", Status: "not-applicable", Note: "x"})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := *m
			c.Requirements = slices.Clone(m.Requirements)
			tc.mod(&c)
			var msgs []string
			for _, e := range c.Check(rows, idx) {
				msgs = append(msgs, e.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Errorf("errors %q, want one containing %q", msgs, tc.want)
			}
		})
	}
}
