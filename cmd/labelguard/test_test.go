package main

import (
	"encoding/json"
	"github.com/labelguard/labelguard/engine"
	"path/filepath"
	"strings"
	"testing"
)

func TestTestCmd(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(t *testing.T, dir string)
		args    []string
		wantErr string
		want    []string
	}{
		{"passes", nil, []string{"--scenarios", "-"}, "", []string{"PASS"}},
		{"failing rego test", func(t *testing.T, dir string) {
			replaceIn(t, filepath.Join(dir, "data/params.json"), `"labWindowDays": 90`, `"labWindowDays": 120`)
		}, []string{"--scenarios", "-"}, "Rego tests failed", []string{"FAIL labelguard.rules.jak_test.test_anc_stale_outside_window_does_not_fire"}},
		{"coverage below the minimum", nil, []string{"--scenarios", "-", "--min-coverage", "99.9"}, "below --min-coverage 99.9%", []string{"Coverage: "}},
		{"filter", nil, []string{"--scenarios", "-", "--run", "test_anc_", "-v"}, "", []string{"PASS labelguard.rules.jak_test.test_anc_missing_does_not_fire"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyPolicies(t, "../../policies", false)
			if tt.edit != nil {
				tt.edit(t, dir)
			}
			out, _, err := runCmd(t, newTestCmd(), append([]string{"--policies", dir}, tt.args...)...)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want %q\n%s", err, tt.wantErr, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestTestCmdJSON(t *testing.T) {
	out, _, err := runCmd(t, newTestCmd(), "--scenarios", "../../policies/testdata/scenarios", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep testReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	corpus, err := filepath.Glob("../../policies/testdata/scenarios/*.json")
	if err != nil {
		t.Fatal(err)
	}
	// Every scenario runs in each jurisdiction.
	if !rep.OK || len(rep.Rego) < 100 || len(rep.Scenarios) != len(corpus)*len(engine.Jurisdictions) || len(corpus) < 100 {
		t.Errorf("ok %v, %d Rego tests, %d scenarios of %d files", rep.OK, len(rep.Rego), len(rep.Scenarios), len(corpus))
	}
}
