package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policyload"
	"github.com/labelguard/labelguard/scenario"
)

// raiseANCThreshold makes the change docs/policy-authoring.md walks
// through: the ANC threshold from 1.0 to 1.5 ×10^9/L, with the Rego tests
// that pin it updated and one new test.
func raiseANCThreshold(t *testing.T, dir string) {
	t.Helper()
	replaceIn(t, filepath.Join(dir, "profiles/upadacitinib.json"), `"anc": {
      "below": 1
    }`, `"anc": {
      "below": 1.5
    }`)
	tests := filepath.Join(dir, "rules/jak/labs_test.rego")
	replaceIn(t, tests, `t.lab("anc", 0.99, 5)`, `t.lab("anc", 1.49, 5)`)
	replaceIn(t, tests, `t.lab("anc", 1.0, 5)`, `t.lab("anc", 1.5, 5)`)
	f, err := os.OpenFile(tests, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(`
test_anc_1_2_fires_with_threshold_1_5 if {
	fires("jak.lab-anc-low", [upa], {"labs": t.with_labs({"anc": t.lab("anc", 1.2, 5)})})
}
`); err != nil {
		t.Fatal(err)
	}
}

func writeKeys(t *testing.T, dir string) (priv, pub string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalECPrivateKey(k)
	pder, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	priv, pub = filepath.Join(dir, "private.pem"), filepath.Join(dir, "public.pem")
	os.WriteFile(priv, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
	os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pder}), 0o644)
	return priv, pub
}

// TestAuthoringWorkflow follows docs/policy-authoring.md step by step:
// change a threshold and write a Rego test, check, test, diff over the
// scenario corpus, build and sign a bundle, evaluate with it. (A running
// server picking the change up is policyload's TestWatchDirEndToEnd and
// TestPollBundle.)
func TestAuthoringWorkflow(t *testing.T) {
	dir := copyPolicies(t, "../../policies", true)
	raiseANCThreshold(t, dir)

	// labelguard check
	out, _, err := runCmd(t, newCheckCmd(), "--policies", dir)
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}

	// labelguard test: the Rego tests pass, but scenario 028 (an ANC of
	// exactly 1.0) now expects the wrong cards, in both jurisdictions
	// (every scenario runs in each).
	scen028 := filepath.Join(dir, "testdata/scenarios/028-labs-at-thresholds-unit-conversions.json")
	corpus, err := filepath.Glob(filepath.Join(dir, "testdata/scenarios/*.json"))
	if err != nil || len(corpus) < 100 {
		t.Fatalf("scenario corpus: %d files, %v", len(corpus), err)
	}
	n := len(corpus)
	out, _, err = runCmd(t, newTestCmd(), "--policies", dir, "--coverage")
	if err == nil || !strings.Contains(out, " passed, 0 failed (policy revision") || !strings.Contains(out, "028-labs-at-thresholds-unit-conversions.json") ||
		!strings.Contains(out, "unexpected jak.lab-anc-low") || !strings.Contains(out, fmt.Sprintf("Scenarios: %d passed, 2 failed", 2*n-2)) {
		t.Fatalf("test before updating the scenario: %v\n%s", err, out)
	}

	// labelguard diff over the scenario corpus
	out, _, err = runCmd(t, newDiffCmd(), "--candidate", dir, "--corpus", filepath.Join(dir, "testdata/scenarios"), "--json")
	if err != nil {
		t.Fatalf("diff: %v\n%s", err, out)
	}
	var rep diffReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Errors != 0 || rep.Summary.Calls != n || rep.Base == rep.Candidate {
		t.Errorf("diff: %d errors, %d items, base %s, candidate %s", rep.Errors, rep.Summary.Calls, rep.Base, rep.Candidate)
	}
	if rep.Summary.ChangedCalls == 0 {
		t.Error("diff found no change")
	}
	var changed028 []policyload.Change
	for _, it := range rep.Items {
		if strings.HasPrefix(it.Item, "028-") {
			changed028 = it.Changes
		}
	}
	want := []policyload.Change{
		{Kind: policyload.Appeared, Rule: "jak.lab-anc-low", Order: "MedicationRequest/upa-1", To: "critical"},
		{Kind: policyload.Disappeared, Rule: "jak.monitoring-plan", Order: "MedicationRequest/upa-1", From: "info"},
	}
	if len(changed028) != 2 || changed028[0] != want[0] || changed028[1] != want[1] {
		t.Errorf("028 changes %+v, want %+v", changed028, want)
	}
	t.Logf("diff summary: %+v", rep.Summary)
	table, _, err := runCmd(t, newDiffCmd(), "--candidate", dir, "--corpus", filepath.Join(dir, "testdata/scenarios"))
	if err != nil || !strings.Contains(table, "028-labs-at-thresholds-unit-conversions.json  MedicationRequest/upa-1") {
		t.Errorf("diff table: %v\n%s", err, table)
	}

	// The informaticist accepts the impact: update the scenario, test again.
	replaceIn(t, scen028, `"jak.monitoring-plan"`, `"jak.lab-anc-low"`)
	out, _, err = runCmd(t, newTestCmd(), "--policies", dir, "--min-coverage", "90")
	if err != nil || !strings.Contains(out, fmt.Sprintf("Scenarios: %d passed, 0 failed", 2*n)) || !strings.HasSuffix(out, "PASS\n") {
		t.Fatalf("test after updating the scenario: %v\n%s", err, out)
	}

	// labelguard bundle build --signing-key, bundle verify, eval --bundle
	keys := t.TempDir()
	priv, pub := writeKeys(t, keys)
	bundle := filepath.Join(keys, "bundle.tar.gz")
	if out, errOut, err := runCmd(t, newBundleCmd(), "build", "--policies", dir, "--revision", "2026.11.1", "-o", bundle, "--signing-key", priv); err != nil {
		t.Fatalf("bundle build: %v\n%s%s", err, out, errOut)
	}
	out, _, err = runCmd(t, newBundleCmd(), "verify", "--public-key", pub, bundle)
	if err != nil || !strings.Contains(out, "signature verified, revision 2026.11.1") {
		t.Fatalf("bundle verify: %v\n%s", err, out)
	}
	out, _, err = runCmd(t, newEvalCmd(), "--bundle", bundle, "--bundle-public-key", pub, "--request", lowANCRequest, "--now", "2026-11-23T12:00:00Z", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ev evalReport
	if err := json.Unmarshal([]byte(out), &ev); err != nil || ev.Revision != "2026.11.1" || len(ev.Cards) == 0 {
		t.Errorf("eval --bundle: %v %+v", err, ev)
	}
	if !strings.Contains(out, "is below 1.5") {
		t.Errorf("the bundle does not carry the new threshold:\n%s", out)
	}
	checkOneValueChangesEverywhere(t, dir)
}

// checkOneValueChangesEverywhere: the threshold changed in one data file
// (the profile) changes the order card (above, eval), the monitoring card
// (patient-view) and the catalog, and only for that drug.
func checkOneValueChangesEverywhere(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	ps, err := engine.Load(ctx, os.DirFS(dir), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rule := ps.Catalog["jak.lab-anc-low"]
	for _, v := range rule.Variants {
		if got := v.TitleFor("upadacitinib"); !strings.Contains(got, "1.5") {
			t.Errorf("catalog title for upadacitinib %q does not show 1.5", got)
		}
		if got := v.TitleFor("abrocitinib"); !strings.Contains(got, "below 1 ") {
			t.Errorf("catalog title for abrocitinib %q changed with upadacitinib's threshold", got)
		}
	}
	// patient-view: a man on upadacitinib with an ANC of 1.2 last week.
	view, err := scenario.LoadFile("../../policies/testdata/scenarios/127-monitoring-upadacitinib-overdue.json")
	if err != nil {
		t.Fatal(err)
	}
	lowANC, err := scenario.LoadFile("../../policies/testdata/scenarios/010-kermit-upadacitinib-45mg-low-anc-hgb.json")
	if err != nil {
		t.Fatal(err)
	}
	anc := lowANC.Add[0]
	anc["valueQuantity"].(map[string]any)["value"] = 1.2
	view.Add = append(view.Add, anc)
	res, err := scenario.Run(ctx, ps, view)
	if err != nil {
		t.Fatal(err)
	}
	var summary string
	for _, f := range res.Outcome.Findings {
		if f.Rule == "jak.lab-anc-low" {
			summary = f.Summary
		}
	}
	if !strings.Contains(summary, "below 1.5") {
		t.Errorf("monitoring card after the change: %q, want the new threshold", summary)
	}
}
