package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/scenario"
)

// The guides in docs/guides show the files an informaticist writes in
// fenced blocks whose info string names the file ("json
// file=profiles/zemacitinib.json"). These tests write exactly those
// blocks into a copy of the policies and run the guide's steps, so a guide
// that drifts from what works fails here.

var guideFence = regexp.MustCompile("(?s)```\\w+ file=(\\S+)\n(.*?)\n```")

// guideFiles reads a guide's files: path -> content.
func guideFiles(t *testing.T, guide string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../../docs/guides", guide))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range guideFence.FindAllStringSubmatch(string(data), -1) {
		out[m[1]] = m[2] + "\n"
	}
	if len(out) == 0 {
		t.Fatalf("%s shows no files", guide)
	}
	return out
}

// writeGuideFiles writes a guide's files under dir.
func writeGuideFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// regoFiles reads every .rego file under dir: path -> content.
func regoFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkAndTest runs the guide's `labelguard check` and `labelguard test`
// on dir and fails unless both pass.
func checkAndTest(t *testing.T, dir string) {
	t.Helper()
	if out, _, err := runCmd(t, newCheckCmd(), "--policies", dir); err != nil || !strings.Contains(out, " 0 error(s), 0 warning(s)") {
		t.Fatalf("check: %v\n%s", err, out)
	}
	if out, _, err := runCmd(t, newTestCmd(), "--policies", dir); err != nil || !strings.HasSuffix(out, "PASS\n") {
		t.Fatalf("test: %v\n%s", err, out)
	}
}

// unchangedElsewhere runs the guide's `labelguard diff` over the shipped
// scenarios: the change must not move any existing card.
func unchangedElsewhere(t *testing.T, dir string) {
	t.Helper()
	out, _, err := runCmd(t, newDiffCmd(), "--candidate", dir, "--corpus", "../../policies/testdata/scenarios", "--json")
	if err != nil {
		t.Fatalf("diff: %v\n%s", err, out)
	}
	var rep diffReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Errors != 0 || rep.Summary.Calls < 100 || rep.Summary.ChangedCalls != 0 {
		t.Errorf("diff over the shipped scenarios: %d errors, %d calls, %d changed", rep.Errors, rep.Summary.Calls, rep.Summary.ChangedCalls)
	}
}

// docs/guides/add-a-drug.md: a fictional fifth JAK inhibitor gets its
// cards (dose maximum, neutrophils, pregnancy, an interaction, another JAK
// inhibitor) from its profile and scenarios, with no Rego edit.
func TestGuideAddADrug(t *testing.T) {
	t.Parallel()
	dir := copyPolicies(t, "../../policies", true)
	before := regoFiles(t, dir)
	files := guideFiles(t, "add-a-drug.md")
	for p := range files {
		if !strings.HasPrefix(p, "profiles/") && !strings.HasPrefix(p, "testdata/scenarios/") {
			t.Errorf("the guide writes %s: a drug is its profile and scenarios", p)
		}
	}
	writeGuideFiles(t, dir, files)
	if after := regoFiles(t, dir); len(after) != len(before) || !mapsEqual(before, after) {
		t.Fatal("the guide changed Rego")
	}
	// The scenario shows what the issue asks for, on the new drug.
	s, err := scenario.LoadFile(filepath.Join(dir, "testdata/scenarios/901-zemacitinib-fictional-drug.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"zemacitinib.dose-max", "jak.lab-anc-low", "jak.pregnancy", "zemacitinib.cyp3a4-inducer"} {
		if !slices.Contains(s.Expect["MedicationRequest/zema-1"], id) {
			t.Errorf("scenario 901 does not expect %s", id)
		}
	}
	checkAndTest(t, dir)
	out, _, err := runCmd(t, newRulesCmd(), "--policies", dir)
	if err != nil || !strings.Contains(out, "Zemacitinib above 20 mg/day") || !strings.Contains(out, "zemacitinib.cyp3a4-inducer") {
		t.Errorf("rules: %v\n%s", err, out)
	}
	unchangedElsewhere(t, dir)
}

// docs/guides/add-a-rule.md: a site rule in a new package, its Rego test
// and its scenario.
func TestGuideAddARule(t *testing.T) {
	t.Parallel()
	dir := copyPolicies(t, "../../policies", true)
	writeGuideFiles(t, dir, guideFiles(t, "add-a-rule.md"))
	checkAndTest(t, dir)
	out, _, err := runCmd(t, newRulesCmd(), "--policies", dir)
	if err != nil || !strings.Contains(out, "site.duplicate-order") {
		t.Errorf("rules: %v\n%s", err, out)
	}
	unchangedElsewhere(t, dir)
}

// docs/guides/switch-off-a-rule.md: a site parameters file switches one
// rule off and lowers another; check, rules and eval show it.
func TestGuideSwitchOffARule(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeGuideFiles(t, dir, guideFiles(t, "switch-off-a-rule.md"))
	site := filepath.Join(dir, "site.json")
	if out, _, err := runCmd(t, newCheckCmd(), "--site-params", site); err != nil {
		t.Fatalf("check --site-params: %v\n%s", err, out)
	}
	out, _, err := runCmd(t, newRulesCmd(), "--site-params", site)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "jak.zoster-vaccine-missing ") && !strings.Contains(line, "off at this site"),
			strings.HasPrefix(line, "jak.risk-factors ") && !strings.Contains(line, "info at this site"):
			t.Errorf("rules: %q", line)
		}
	}
	cards := func(args ...string) map[string]string {
		out, _, err := runCmd(t, newEvalCmd(), append([]string{"--request", lowANCRequest, "--as-of", "2026-11-23T12:00:00Z", "--json"}, args...)...)
		if err != nil {
			t.Fatalf("eval %v: %v\n%s", args, err, out)
		}
		var rep evalReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, c := range rep.Cards {
			m[c.Source.Topic.Code] = c.Indicator
		}
		return m
	}
	base, withSite := cards(), cards("--site-params", site)
	if base["jak.zoster-vaccine-missing"] == "" || base["jak.risk-factors"] != "warning" {
		t.Fatalf("the request no longer gets the cards the guide switches: %v", base)
	}
	if _, ok := withSite["jak.zoster-vaccine-missing"]; ok || withSite["jak.risk-factors"] != "info" {
		t.Errorf("with the site file: %v", withSite)
	}
	for id, ind := range base {
		if id != "jak.zoster-vaccine-missing" && id != "jak.risk-factors" && withSite[id] != ind {
			t.Errorf("%s: %s without the site file, %q with it", id, ind, withSite[id])
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}
