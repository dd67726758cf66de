package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A draft upadacitinib 15 mg order for the patient-bundle corpus.
const upaOrder = `{"resourceType": "MedicationRequest", "id": "upa-draft", "status": "draft", "intent": "order",
 "medicationCodeableConcept": {"text": "upadacitinib 15 MG Extended Release Oral Tablet"},
 "dosageInstruction": [{"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
   "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet", "system": "http://unitsofmeasure.org", "code": "{tbl}"}}]}]}`

func TestDiffRequestsAndPatients(t *testing.T) {
	corpus := t.TempDir()
	for _, f := range []string{"upadacitinib-45mg-low-anc.json", "upadacitinib-15mg-normal-cbc.json"} {
		data, err := os.ReadFile(filepath.Join("../../api/testdata/requests", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(corpus, f), data, 0o644)
	}
	patient, err := os.ReadFile("../../policies/testdata/patients/Kermit_Trantow_f1a650a5.json")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(corpus, "kermit.json"), patient, 0o644)
	order := filepath.Join(t.TempDir(), "order.json")
	os.WriteFile(order, []byte(upaOrder), 0o644)

	// The candidate switches the ANC rule off and lowers the dose rule.
	cand := copyPolicies(t, "../../policies", false)
	replaceIn(t, filepath.Join(cand, "data/params.json"), `"rules": {}`, `"rules": {"jak.lab-anc-low": {"enabled": false}, "upadacitinib.dose-max": {"indicator": "warning"}}`)

	out, _, err := runCmd(t, newDiffCmd(), "--candidate", cand, "--corpus", corpus, "--order", order, "--now", "2026-11-23T12:00:00Z", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rep diffReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, it := range rep.Items {
		kinds[it.Item] = it.Kind
		if it.Error != "" {
			t.Errorf("%s: %s", it.Item, it.Error)
		}
	}
	if kinds["kermit.json"] != "patient" || kinds["upadacitinib-45mg-low-anc.json"] != "request" || rep.Summary.Calls != 3 {
		t.Errorf("items %v, summary %+v", kinds, rep.Summary)
	}
	got := map[string]bool{}
	for _, r := range rep.Summary.Rules {
		got[r.Rule] = true
		if r.Rule == "jak.lab-anc-low" && r.Disappeared != 1 {
			t.Errorf("jak.lab-anc-low: %+v", r)
		}
		if r.Rule == "upadacitinib.dose-max" && r.Indicator["critical→warning"] != 1 {
			t.Errorf("upadacitinib.dose-max: %+v", r)
		}
	}
	if !got["jak.lab-anc-low"] || !got["upadacitinib.dose-max"] {
		t.Errorf("rules changed: %+v", rep.Summary.Rules)
	}

	// --fail-on-change makes the change a failure, for CI.
	if _, _, err := runCmd(t, newDiffCmd(), "--candidate", cand, "--corpus", corpus, "--order", order, "--now", "2026-11-23T12:00:00Z", "--fail-on-change"); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("--fail-on-change: %v", err)
	}
	// Identical versions: nothing changes.
	out, _, err = runCmd(t, newDiffCmd(), "--candidate", "../../policies", "--corpus", corpus, "--order", order, "--now", "2026-11-23T12:00:00Z", "--fail-on-change")
	if err != nil || !strings.Contains(out, "3 item(s) evaluated, 0 changed") {
		t.Errorf("identical versions: %v\n%s", err, out)
	}
}

func TestEvalPatientAndOrder(t *testing.T) {
	order := filepath.Join(t.TempDir(), "order.json")
	os.WriteFile(order, []byte(upaOrder), 0o644)
	out, _, err := runCmd(t, newEvalCmd(), "--patient", "../../policies/testdata/patients/Kermit_Trantow_f1a650a5.json", "--order", order,
		"--hook", "order-select", "--now", "2026-11-23T12:00:00Z", "--explain")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"service jak-order-select", "== Policy input (facts) ==", `"target": "upadacitinib"`, "== Rules considered that stayed silent"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, _, err := runCmd(t, newEvalCmd(), "--order", order); err == nil {
		t.Error("--order without --patient accepted")
	}
}
