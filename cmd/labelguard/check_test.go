package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/engine"
)

func TestCheckCmd(t *testing.T) {
	// The default set is clean: no error and no warning, so --strict
	// passes too.
	out, _, err := runCmd(t, newCheckCmd())
	if err != nil || !strings.Contains(out, " 0 error(s), 0 warning(s)") {
		t.Fatalf("check of the default set: %v\n%s", err, out)
	}
	if _, _, err := runCmd(t, newCheckCmd(), "--strict"); err != nil {
		t.Errorf("--strict failed on the clean default set: %v", err)
	}
	if strings.Contains(out, "note:") {
		t.Errorf("the default set is cross-hook, yet check notes otherwise:\n%s", out)
	}
	// Rules that read the hook are not a defect, but check says what it
	// costs, and where.
	bound := copyPolicies(t, "../../policies", false)
	replaceIn(t, filepath.Join(bound, "rules/jak/dose.rego"), "\tsome order in lib.oral_jaki_orders\n\tnot lib.dose_known(order)", "\tinput.hook == \"order-sign\"\n\tsome order in lib.oral_jaki_orders\n\tnot lib.dose_known(order)")
	if out, _, err := runCmd(t, newCheckCmd(), "--policies", bound, "--strict"); err != nil || !strings.Contains(out, "note: rules/jak/dose.rego:") || !strings.Contains(out, "reads input.hook") {
		t.Errorf("a hook-bound set: %v\n%s", err, out)
	}
	// A variant that can never be chosen is a warning: --strict fails on it.
	warn := copyPolicies(t, "../../policies", false)
	replaceIn(t, filepath.Join(warn, "rules/jak/labs.rego"), "#   hooks: [order-select, order-sign]\n", "")
	if out, _, err := runCmd(t, newCheckCmd(), "--policies", warn); err != nil || strings.Contains(out, " 0 warning(s)") {
		t.Errorf("a shadowed variant gave no warning: %v\n%s", err, out)
	}
	if _, _, err := runCmd(t, newCheckCmd(), "--policies", warn, "--strict"); err == nil {
		t.Error("--strict passed with a warning")
	}

	dir := copyPolicies(t, "../../policies", false)
	labs := filepath.Join(dir, "rules/jak/labs.rego")
	replaceIn(t, labs, `"rule": rule_id,`, `"rule":    rule_id,`)
	replaceIn(t, labs, `lab := lib.lab_below(order.target, "anc", lib.phase(order))`, `lab := lib.lab_below(order.target, "anc", lib.phase(order))
	lib.in_valueset(lab, "no-such-value-set")`)
	replaceIn(t, filepath.Join(dir, "rules/jak/pregnancy.rego"), "# title: ", "# titel: ")
	out, _, err = runCmd(t, newCheckCmd(), "--policies", dir, "--json")
	if err == nil {
		t.Fatal("check passed a broken set")
	}
	var rep engine.CheckReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	checks := map[string]int{}
	for _, p := range rep.Problems {
		if p.Severity == engine.SeverityError {
			checks[p.Check]++
		}
	}
	if checks[engine.CheckFormat] != 1 || checks[engine.CheckValueSet] != 1 || checks[engine.CheckMetadata] == 0 {
		t.Errorf("problems %v:\n%s", checks, out)
	}

	// --fix rewrites the formatting, the rest stays reported.
	out, errOut, err := runCmd(t, newCheckCmd(), "--policies", dir, "--fix")
	if err == nil || !strings.Contains(errOut, "formatted rules/jak/labs.rego") || strings.Contains(out, "[format]") {
		t.Errorf("--fix: %v\n%s%s", err, out, errOut)
	}
	data, _ := os.ReadFile(labs)
	if strings.Contains(string(data), `"rule":    rule_id`) {
		t.Error("--fix did not format labs.rego")
	}
}
