package api_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/labelguard/labelguard/internal/record"
	tp "github.com/labelguard/labelguard/internal/testpatient"
)

// labCodes are the codes the services' observations prefetch selects: the
// lab table's ({{labelguard.labCodes}} in services.json).
func labCodes(t testing.TB) map[string]bool {
	t.Helper()
	_, labs, _ := defaultPolicies(t).Tables()
	out := map[string]bool{}
	for _, c := range labs.Codes() {
		out[c] = true
	}
	return out
}

// goldenCase is a whole-patient request built from a Synthea bundle plus
// what the case adds.
type goldenCase struct {
	name    string
	sample  string
	hook    string
	orders  func(pid string) []record.Resource
	extra   func(pid string) []record.Resource
	comment string
}

var goldenCases = []goldenCase{
	{
		name: "upadacitinib-45mg-low-anc", sample: "Kermit_Trantow_f1a650a5.json", hook: "order-sign",
		comment: "upadacitinib 45 mg daily (above the AD maximum) for a man with a neutrophil count of 0.8 and hemoglobin 7.6 last week",
		orders: func(pid string) []record.Resource {
			return []record.Resource{record.MedicationRequest("upa-1", pid, "upadacitinib 45 MG Extended Release Oral Tablet", 1, "{tbl}", "QD")}
		},
		extra: func(pid string) []record.Resource {
			return []record.Resource{
				record.Observation("anc-1", pid, "751-8", "Neutrophils [#/volume] in Blood", 0.8, "10*3/uL", "2026-11-16T09:00:00Z"),
				record.Observation("hgb-1", pid, "718-7", "Hemoglobin [Mass/volume] in Blood", 7.6, "g/dL", "2026-11-16T09:00:00Z"),
			}
		},
	},
	{
		name: "abrocitinib-with-clopidogrel", sample: "Maria_Luisa_Razo_d060a28c.json", hook: "order-sign",
		comment: "abrocitinib 100 mg daily for a woman on clopidogrel (contraindicated in the first 3 months)",
		orders: func(pid string) []record.Resource {
			return []record.Resource{record.MedicationRequest("abro-1", pid, "abrocitinib 100 MG Oral Tablet", 100, "mg", "QD")}
		},
	},
	{
		name: "upadacitinib-15mg-normal-cbc", sample: "Louis_Maggio_2e275d4b.json", hook: "order-select",
		comment: "upadacitinib 15 mg daily with a recent CBC at the thresholds (ANC exactly 1.0 and hemoglobin 13.5 do not fire); the rest of the work-up is missing",
		orders: func(pid string) []record.Resource {
			return []record.Resource{record.MedicationRequest("upa-2", pid, "Rinvoq 15 MG Extended Release Oral Tablet", 15, "mg", "QD")}
		},
		extra: func(pid string) []record.Resource {
			return []record.Resource{
				record.Observation("anc-2", pid, "751-8", "Neutrophils [#/volume] in Blood", 1000, "/uL", "2026-11-20T08:00:00Z"),
				record.Observation("hgb-2", pid, "718-7", "Hemoglobin [Mass/volume] in Blood", 135, "g/L", "2026-11-20T08:00:00Z"),
			}
		},
	},
	{
		name: "amoxicillin-not-of-interest", sample: "Reuben_Lind_1d03714f.json", hook: "order-sign",
		comment: "an order the service does not check: no cards",
		orders: func(pid string) []record.Resource {
			return []record.Resource{record.MedicationRequest("amox-1", pid, "Amoxicillin 500 MG Oral Capsule", 500, "mg", "TID")}
		},
	},
}

// buildRequest renders a golden case as a CDS Hooks request body.
func buildRequest(t testing.TB, gc goldenCase) []byte {
	t.Helper()
	p, err := record.Load(tp.SamplePath(gc.sample))
	if err != nil {
		t.Fatal(err)
	}
	if gc.extra != nil {
		p.Add(gc.extra(p.ID)...)
	}
	req := record.Request(gc.hook, "d1577c69-dfbe-44ad-ba6d-"+hookSuffix(gc.name), p.ID, p.Prefetch(labCodes(t)), gc.orders(p.ID), nil)
	b, err := json.MarshalIndent(req, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// hookSuffix makes a stable, distinct hookInstance tail per case.
func hookSuffix(name string) string {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint64(name[i])) * 1099511628211
	}
	const hex = "0123456789abcdef"
	out := make([]byte, 12)
	for i := range out {
		out[i] = hex[h>>(uint(i)*4)&0xf]
	}
	return string(out)
}

// requestFile returns the committed request of a golden case, regenerating
// it under -update.
func requestFile(t testing.TB, gc goldenCase) []byte {
	t.Helper()
	path := filepath.Join("testdata", "requests", gc.name+".json")
	if *update {
		if err := os.WriteFile(path, buildRequest(t, gc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with -update)", err)
	}
	return b
}
