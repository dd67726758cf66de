package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const syntheticTerminology = "../../terminology/testdata/synthetic"

// TestTerminologyImportThenEval imports the synthetic RxNorm and NDC files
// and evaluates an order coded only by an SCD RxCUI with and without the
// terminology: eval --terminology reaches the pipeline as serve does.
func TestTerminologyImportThenEval(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	out, _, err := runCmd(t, newTerminologyCmd(), "import",
		"--rxnorm", filepath.Join(syntheticTerminology, "RXNCONSO.RRF"),
		"--ndc-products", filepath.Join(syntheticTerminology, "product.txt"),
		"--ndc-packages", filepath.Join(syntheticTerminology, "package.txt"),
		"--note", "synthetic", "--out", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"40 codes written: 20 matched to a profile product, 1 of a target without a product",
		`RxNorm SCD 900000309 "baricitinib 7 MG Oral Tablet"`, `"Jakafi": a brand of ruxolitinib in no target form`} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	report, err := os.ReadFile(filepath.Join(dir, "import-report.txt"))
	if err != nil || string(report) != out {
		t.Errorf("import-report.txt differs from the printed report: %v", err)
	}

	var req map[string]any
	if err := json.Unmarshal(mustRead(t, lowANCRequest), &req); err != nil {
		t.Fatal(err)
	}
	ctx := req["context"].(map[string]any)
	order := ctx["draftOrders"].(map[string]any)["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
	order["medicationCodeableConcept"] = map[string]any{"coding": []any{map[string]any{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "900000303"}}}
	b, _ := json.Marshal(req)
	reqFile := filepath.Join(t.TempDir(), "coded.json")
	if err := os.WriteFile(reqFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	with, _, err := runCmd(t, newEvalCmd(), "--request", reqFile, "--now", "2026-11-23T12:00:00Z", "--terminology", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(with, "(rule upadacitinib.dose-max)") {
		t.Errorf("with --terminology, no dose-max card:\n%s", with)
	}
	without, _, err := runCmd(t, newEvalCmd(), "--request", reqFile, "--now", "2026-11-23T12:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(without, "upadacitinib.dose-max") {
		t.Errorf("without --terminology the code-only order was recognised:\n%s", without)
	}
}

func TestTerminologyImportErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.RRF")
	if err := os.WriteFile(bad, []byte("900000101|ENG||||||1||||RXNORM|IN|900000101|upadacitinib||N|4096|\nnot an rrf line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	noMatch := filepath.Join(t.TempDir(), "other.RRF")
	if err := os.WriteFile(noMatch, []byte("900000901|ENG||||||1||||RXNORM|SCD|900000901|aspirin 81 MG Oral Tablet||N|4096|\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--rxnorm", bad}, "--out DIR is required"},
		{[]string{"--out", out}, "--rxnorm or --ndc-products is required"},
		{[]string{"--out", out, "--rxnorm", bad, "--ndc-packages", "p.txt"}, "--ndc-packages needs --ndc-products"},
		{[]string{"--out", out, "--rxnorm", bad}, "line 2: 1 fields, want 18"},
		{[]string{"--out", out, "--rxnorm", filepath.Join(t.TempDir(), "missing.RRF")}, "--rxnorm: open"},
		{[]string{"--out", out, "--ndc-products", filepath.Join(syntheticTerminology, "package.txt")}, "header lacks PROPRIETARYNAME"},
		{[]string{"--out", out, "--rxnorm", noMatch}, "nothing to import"},
	} {
		_, _, err := runCmd(t, newTerminologyCmd(), append([]string{"import"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.args, err, tc.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed import wrote %s", out)
	}
	if _, _, err := runCmd(t, newEvalCmd(), "--request", lowANCRequest, "--terminology", t.TempDir()); err == nil || !strings.Contains(err.Error(), "--terminology") {
		t.Errorf("eval with an empty terminology directory: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
