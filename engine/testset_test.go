package engine_test

import (
	"io/fs"
	"strings"
	"testing/fstest"

	"github.com/labelguard/labelguard/policies"
)

// tsParams and tsParamsSchema are the default policy set's: every
// parameter's default, and the schema they are checked against.
var tsParams, tsParamsSchema = mustRead("data/params.json"), mustRead("schema/site-params.schema.json")

func mustRead(p string) string {
	b, err := fs.ReadFile(policies.FS, p)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// A minimal, valid policy set used by the engine's own tests.
const (
	tsServices = `{"services": [{"id": "svc", "hook": "order-sign", "title": "T", "description": "D",
	  "prefetch": {"patient": "Patient/{{context.patientId}}"}}]}`
	tsLabs = `{"displayUnits": {"10*9/L": "×10⁹/L", "U/L": "U/L"}, "analytes": {"anc": {"display": "ANC", "kind": "quantity", "codes": ["http://loinc.org|751-8"], "unit": "10*9/L", "units": {"10*9/L": 1, "/uL": 0.001}, "panel": {"code": "http://loinc.org|57021-8", "display": "CBC with differential"}},
	  "alt": {"display": "ALT", "kind": "quantity", "codes": ["http://loinc.org|1742-6"], "unit": "U/L", "units": {"U/L": 1}, "panel": {"code": "http://loinc.org|24325-3", "display": "Hepatic function panel"}}}}`
	tsDrugs = `{"drugs": {"upadacitinib": {"display": "Upadacitinib", "target": "upadacitinib", "valueSet": "upadacitinib", "names": ["upadacitinib", "rinvoq"],
	  "products": [{"display": "upadacitinib 15 MG Extended Release Oral Tablet", "strengthMg": 15, "codes": ["http://example.org/rx|15"]}, {"display": "upadacitinib 30 MG Extended Release Oral Tablet", "strengthMg": 30}]}}, "interacting": []}`
	tsVS      = `{"resourceType": "ValueSet", "id": "upadacitinib", "status": "active", "extension": [{"url": "urn:labelguard:valueset-name", "valueString": "upadacitinib"}], "compose": {"include": [{"system": "http://example.org/rx", "concept": [{"code": "15"}]}]}}`
	tsReasons = `{"reasons": [{"system": "urn:labelguard:override-reason", "code": "benefit-outweighs-risk", "display": "Benefit outweighs risk"}]}`
	// tsPackage is the package METADATA of the test set's rule package;
	// tsRuleBody a rule in it (a second file of the package repeats the
	// body only: a package has one package METADATA).
	tsPackage = `# METADATA
# scope: package
# custom:
#   hooks: [order-sign]
#   drugs: [upadacitinib]
`
	tsRuleBody = `package labelguard.rules.upa

# METADATA
# title: Upadacitinib above the maximum
# custom:
#   id: upadacitinib.dose-max
#   indicator: critical
#   drugs: [upadacitinib]
#   source:
#     label: Rinvoq (upadacitinib) US Prescribing Information
#     section: "2.5"
#     url: https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=2966aec7-2ef0-923c-d8ff-fe1a957bf095
findings contains f if {
	some o in input.orders
	o.target == "upadacitinib"
	o.dailyDoseMg > 30
	f := {
		"rule": "upadacitinib.dose-max",
		"indicator": "critical",
		"summary": sprintf("Upadacitinib %v mg/day exceeds the maximum of 30 mg", [o.dailyDoseMg]),
		"order": o.ref,
		"evidence": [{"reference": o.ref, "display": "daily dose", "value": o.dailyDoseMg, "unit": "mg/d"}],
		"suggestions": [
			{"kind": "update-dose", "label": "Change to 15 mg once daily", "targetDailyDoseMg": 15},
			{"kind": "delete", "label": "Cancel the order"},
			{"kind": "create-lab", "label": "Order labs", "analytes": ["anc", "alt"], "dueDate": "2026-12-01"},
		],
	}
}
`
	tsRuleTest = `package labelguard.rules.upa_test

import data.labelguard.rules.upa

test_fires_above_30 if {
	some f in upa.findings with input as {"orders": [{"ref": "MedicationRequest/1", "target": "upadacitinib", "dailyDoseMg": 45}]}
	f.rule == "upadacitinib.dose-max"
}

test_silent_at_30 if {
	count(upa.findings) == 0 with input as {"orders": [{"ref": "MedicationRequest/1", "target": "upadacitinib", "dailyDoseMg": 30}]}
}
`
)

// tsRule is the whole file of the test set's rule package.
const tsRule = tsPackage + tsRuleBody

// withParams is the test set's parameters with members replaced (a JSON
// object's members without the braces).
func withParams(members string) string {
	return strings.Replace(tsParams, "\n  \"rules\": {}", "\n  "+members, 1)
}

func testSet() fstest.MapFS {
	return fstest.MapFS{
		"services.json":                  {Data: []byte(tsServices)},
		"data/params.json":               {Data: []byte(tsParams)},
		"schema/site-params.schema.json": {Data: []byte(tsParamsSchema)},
		"data/labs.json":                 {Data: []byte(tsLabs)},
		"data/drugs.json":                {Data: []byte(tsDrugs)},
		"data/override-reasons.json":     {Data: []byte(tsReasons)},
		"valuesets/upadacitinib.json":    {Data: []byte(tsVS)},
		"rules/upa/upa.rego":             {Data: []byte(tsRule)},
		"rules/upa/upa_test.rego":        {Data: []byte(tsRuleTest)},
	}
}

func with(fs fstest.MapFS, path, content string) fstest.MapFS {
	out := fstest.MapFS{}
	for k, v := range fs {
		out[k] = v
	}
	if content == "" {
		delete(out, path)
	} else {
		out[path] = &fstest.MapFile{Data: []byte(content)}
	}
	return out
}
