package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// runCmd runs a command with args and returns its standard output and
// standard error.
func runCmd(t *testing.T, cmd *cobra.Command, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// copyPolicies copies a policy directory (Rego and JSON files) to a
// temporary directory; testdata is copied only when withScenarios, and then
// its scenarios and the patients they build on.
func copyPolicies(t *testing.T, src string, withScenarios bool) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if d.Name() == "testdata" && !withScenarios {
				return filepath.SkipDir
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

func replaceIn(t *testing.T, path, old, new string) {
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

const lowANCRequest = "../../api/testdata/requests/upadacitinib-45mg-low-anc.json"

func TestEvalRequest(t *testing.T) {
	out, _, err := runCmd(t, newEvalCmd(), "--request", lowANCRequest, "--now", "2026-11-23T12:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[CRITICAL]", "(rule jak.lab-anc-low)", "Source: Rinvoq", "Suggestion: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Policy input") {
		t.Error("facts printed without --explain")
	}
}

func TestEvalExplain(t *testing.T) {
	out, _, err := runCmd(t, newEvalCmd(), "--request", lowANCRequest, "--now", "2026-11-23T12:00:00Z", "--explain", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep evalReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	ex := rep.Explain
	if ex == nil || ex.Input == nil || len(ex.Input.Orders) == 0 || len(ex.Fired) == 0 || len(ex.Silent) == 0 {
		t.Fatalf("explanation %+v", ex)
	}
	fired := map[string]bool{}
	for _, f := range ex.Fired {
		fired[f.Rule] = true
		if f.Rule == "jak.lab-anc-low" && len(f.Evidence) == 0 {
			t.Error("fired rule without evidence")
		}
	}
	if !fired["jak.lab-anc-low"] {
		t.Errorf("fired %v", fired)
	}
	reasons := map[string]string{}
	for _, s := range ex.Silent {
		if fired[s.Rule] {
			t.Errorf("%s both fired and silent", s.Rule)
		}
		reasons[s.Rule] = s.Reason
	}
	for rule, want := range map[string]string{
		"abrocitinib.dose-max":    "not applicable: no order or active medication of abrocitinib",
		"upadacitinib.weight-min": "weight result from 2019-06-17T14:10:09Z is outside its 90-day window",
		"jak.lab-alc-low":         "facts it names are absent: no alc result",
		"jak.tb-active":           "conditions not met",
	} {
		if !strings.Contains(reasons[rule], want) {
			t.Errorf("%s: reason %q, want %q", rule, reasons[rule], want)
		}
	}
	t.Logf("silent reasons: %v", reasons)
}

// TestEvalAsOf: --as-of is the evaluation clock. The request written for
// 2026-11-23 gives its low-ANC card as of that day (a date alone is 12:00
// UTC, as --now 2026-11-23T12:00:00Z was), and not 120 days later, when the
// result is outside its window.
func TestEvalAsOf(t *testing.T) {
	cards := func(args ...string) []string {
		t.Helper()
		out, _, err := runCmd(t, newEvalCmd(), append([]string{"--request", lowANCRequest, "--json"}, args...)...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		var rep evalReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		var rules []string
		for _, c := range rep.Cards {
			rules = append(rules, c.Source.Topic.Code)
		}
		return rules
	}
	then := cards("--as-of", "2026-11-23")
	if !slices.Contains(then, "jak.lab-anc-low") {
		t.Fatalf("as of 2026-11-23: %v", then)
	}
	if old := cards("--now", "2026-11-23T12:00:00Z"); !slices.Equal(old, then) {
		t.Errorf("--now (the earlier name) %v, --as-of %v", old, then)
	}
	if same := cards("--as-of", "2026-11-23T13:00:00+01:00"); !slices.Equal(same, then) {
		t.Errorf("the same instant with an offset: %v", same)
	}
	if later := cards("--as-of", "2027-03-23"); slices.Contains(later, "jak.lab-anc-low") {
		t.Errorf("as of 2027-03-23 the ANC is 127 days old: %v", later)
	}
	for _, bad := range [][]string{{"--as-of", "next week"}, {"--as-of", "2026-11-23", "--now", "2026-11-23T12:00:00Z"}} {
		if _, _, err := runCmd(t, newEvalCmd(), append([]string{"--request", lowANCRequest}, bad...)...); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
