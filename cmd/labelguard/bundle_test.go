package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestBundleBuildSignVerify(t *testing.T) {
	dir := t.TempDir()
	priv, pub := writeKeys(t, dir)
	_, otherPub := writeKeys(t, t.TempDir())
	b := filepath.Join(dir, "b.tar.gz")
	if _, _, err := runCmd(t, newBundleCmd(), "build", "--revision", "r1", "-o", b); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, newBundleCmd(), "verify", "--public-key", pub, b); err == nil || !strings.Contains(err.Error(), "missing .signatures.json") {
		t.Errorf("unsigned bundle verified: %v", err)
	}
	// eval reads an unsigned bundle without a key, with a warning.
	_, errOut, err := runCmd(t, newEvalCmd(), "--bundle", b, "--request", lowANCRequest, "--now", "2026-11-23T12:00:00Z")
	if err != nil || !strings.Contains(errOut, "signature not verified") {
		t.Errorf("eval of an unsigned bundle: %v %s", err, errOut)
	}
	signed := filepath.Join(dir, "signed.tar.gz")
	if _, _, err := runCmd(t, newBundleCmd(), "sign", "--key", priv, "-o", signed, b); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, newBundleCmd(), "verify", "--public-key", pub, signed)
	if err != nil || !strings.Contains(out, "revision r1") {
		t.Errorf("verify: %v %s", err, out)
	}
	if _, _, err := runCmd(t, newBundleCmd(), "verify", "--public-key", otherPub, signed); err == nil {
		t.Error("verified with the wrong key")
	}
	if _, _, err := runCmd(t, newEvalCmd(), "--bundle", signed, "--bundle-public-key", otherPub, "--request", lowANCRequest); err == nil {
		t.Error("eval accepted a bundle signed with another key")
	}
	if st, err := os.Stat(signed); err != nil || st.Size() == 0 {
		t.Error("no signed bundle written")
	}
}

// bundle build refuses a policy set that would fail at run time (check) or
// whose scenarios fail, naming what to fix, and builds nothing.
func TestBundleBuildRefusesAFailingSet(t *testing.T) {
	typo := copyPolicies(t, filepath.Join("..", "..", "policies"), false)
	labs := filepath.Join(typo, "rules", "jak", "labs.rego")
	replaceIn(t, labs, `findings contains lab_finding("jak.lab-alc-low",`, `findings contains lab_finding("jak.lab-alc-lo",`)
	data, err := os.ReadFile(labs)
	if err != nil {
		t.Fatal(err)
	}
	line := strconv.Itoa(1 + strings.Count(string(data[:strings.Index(string(data), `"jak.lab-alc-lo"`)]), "\n"))
	scenarioFails := copyPolicies(t, filepath.Join("..", "..", "policies"), true)
	replaceIn(t, filepath.Join(scenarioFails, "data", "params.json"), `"labWindowDays": 90`, `"labWindowDays": 9`)
	for _, tc := range []struct {
		name, dir, want string
	}{
		{"a typo in a finding's rule ID", typo, "rules/jak/labs.rego:" + line + ": [rule-id] rule jak.lab-alc-low (METADATA at rules/jak/labs.rego:" + line + `) yields a finding for rule "jak.lab-alc-lo", which no METADATA declares`},
		{"a scenario fails", scenarioFails, "scenarios failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "b.tar.gz")
			_, _, err := runCmd(t, newBundleCmd(), "build", "--policies", tc.dir, "-o", out)
			if err == nil || !strings.Contains(err.Error(), "bundle not built") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a refusal mentioning %q", err, tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a bundle was written")
			}
		})
	}
}
