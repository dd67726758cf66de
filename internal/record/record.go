package record

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Resource is a FHIR resource as generic JSON.
type Resource = map[string]any

// Patient is one Synthea patient.
type Patient struct {
	ID        string
	Resources []Resource
}

// Load reads a Synthea transaction bundle.
func Load(path string) (*Patient, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("record.Load: %w", err)
	}
	var b struct {
		Entry []struct {
			FullURL  string   `json:"fullUrl"`
			Resource Resource `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("record.Load %s: %w", path, err)
	}
	refs := map[string]string{}
	for _, e := range b.Entry {
		rt, _ := e.Resource["resourceType"].(string)
		id, _ := e.Resource["id"].(string)
		if e.FullURL != "" {
			refs[e.FullURL] = rt + "/" + id
		}
	}
	p := &Patient{}
	for _, e := range b.Entry {
		r := RewriteRefs(e.Resource, refs).(Resource)
		if r["resourceType"] == "Patient" {
			p.ID, _ = r["id"].(string)
		}
		p.Resources = append(p.Resources, r)
	}
	if p.ID == "" {
		return nil, fmt.Errorf("record.Load %s: no Patient resource", path)
	}
	return p, nil
}

// RewriteRefs replaces, in place, every "reference" value that refs maps
// (a Bundle's fullUrl, e.g. urn:uuid:X) by the "Type/id" it stands for.
func RewriteRefs(v any, refs map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "reference" {
				if r, ok := refs[s]; ok {
					x[k] = r
				}
				continue
			}
			x[k] = RewriteRefs(e, refs)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = RewriteRefs(e, refs)
		}
		return x
	}
	return v
}

// Of returns the resources of the given type.
func (p *Patient) Of(resourceType string) []Resource {
	var out []Resource
	for _, r := range p.Resources {
		if r["resourceType"] == resourceType {
			out = append(out, r)
		}
	}
	return out
}

// Add appends resources (added observations, conditions, medications).
func (p *Patient) Add(rs ...Resource) { p.Resources = append(p.Resources, rs...) }

// Prefetch splits the patient into the keys of the order services. Only
// observations whose "system|code" is in codes are kept under
// "observations" (nil keeps all), as the services' observation template
// selects by code; "labObservations" holds the laboratory-category ones, as
// the template that selects by category does.
func (p *Patient) Prefetch(codes map[string]bool) map[string]any {
	keep := func(r Resource) bool { return true }
	active := func(r Resource) bool {
		s, _ := r["status"].(string)
		return s == "active" || s == "on-hold" || s == "intended"
	}
	obs := func(r Resource) bool {
		if codes == nil {
			return true
		}
		for _, c := range codings(r["code"]) {
			if codes[fmt.Sprint(c["system"])+"|"+fmt.Sprint(c["code"])] {
				return true
			}
		}
		return false
	}
	lab := func(r Resource) bool {
		cats, _ := r["category"].([]any)
		for _, cat := range cats {
			for _, c := range codings(cat) {
				if c["code"] == "laboratory" {
					return true
				}
			}
		}
		return false
	}
	var patient Resource
	for _, r := range p.Of("Patient") {
		patient = r
	}
	return map[string]any{
		"patient":              patient,
		"conditions":           Searchset(filter(p.Of("Condition"), keep)),
		"medications":          Searchset(filter(p.Of("MedicationRequest"), active)),
		"medicationStatements": Searchset(filter(p.Of("MedicationStatement"), active)),
		"observations":         Searchset(filter(p.Of("Observation"), obs)),
		"labObservations":      Searchset(filter(p.Of("Observation"), lab)),
		"immunizations":        Searchset(filter(p.Of("Immunization"), keep)),
		"allergies":            Searchset(filter(p.Of("AllergyIntolerance"), keep)),
	}
}

func filter(rs []Resource, keep func(Resource) bool) []Resource {
	var out []Resource
	for _, r := range rs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func codings(v any) []map[string]any {
	cc, _ := v.(map[string]any)
	list, _ := cc["coding"].([]any)
	var out []map[string]any
	for _, c := range list {
		if m, ok := c.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// Searchset wraps resources in a searchset Bundle as a FHIR server returns.
func Searchset(rs []Resource) Resource {
	entries := make([]any, 0, len(rs))
	for _, r := range rs {
		entries = append(entries, map[string]any{
			"fullUrl":  fmt.Sprintf("https://fhir.example.org/r4/%s/%s", r["resourceType"], r["id"]),
			"resource": r,
		})
	}
	return Resource{"resourceType": "Bundle", "type": "searchset", "total": len(rs), "entry": entries}
}

// Request builds a CDS Hooks request for an order hook.
func Request(hook, hookInstance, patientID string, prefetch map[string]any, drafts []Resource, selections []string) Resource {
	entries := make([]any, 0, len(drafts))
	for _, d := range drafts {
		entries = append(entries, map[string]any{"resource": d})
	}
	ctx := map[string]any{
		"userId":      "Practitioner/example",
		"patientId":   patientID,
		"draftOrders": map[string]any{"resourceType": "Bundle", "type": "collection", "entry": entries},
	}
	if hook == "order-select" {
		if selections == nil {
			selections = []string{}
			for _, d := range drafts {
				selections = append(selections, fmt.Sprintf("%s/%s", d["resourceType"], d["id"]))
			}
		}
		ctx["selections"] = selections
	}
	return Resource{
		"hook":         hook,
		"hookInstance": hookInstance,
		"fhirServer":   "https://fhir.example.org/r4",
		"context":      ctx,
		"prefetch":     prefetch,
	}
}

// MedicationRequest builds a draft order. dose is per administration in
// doseUnit ("mg" or "{tbl}"); timing is a GTS abbreviation such as QD or BID.
func MedicationRequest(id, patientID, text string, dose float64, doseUnit, timing string) Resource {
	return Resource{
		"resourceType": "MedicationRequest",
		"id":           id,
		"status":       "draft",
		"intent":       "order",
		"medicationCodeableConcept": map[string]any{
			"text": text,
		},
		"subject":    map[string]any{"reference": "Patient/" + patientID},
		"authoredOn": "2026-11-23",
		"dosageInstruction": []any{map[string]any{
			"text":   fmt.Sprintf("%g %s %s", dose, strings.Trim(doseUnit, "{}"), timing),
			"timing": map[string]any{"code": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", "code": timing}}}},
			"route":  map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "26643006", "display": "Oral route"}}},
			"doseAndRate": []any{map[string]any{"doseQuantity": map[string]any{
				"value": dose, "unit": strings.Trim(doseUnit, "{}"), "system": "http://unitsofmeasure.org", "code": doseUnit,
			}}},
		}},
	}
}

// Observation builds a final quantitative lab result.
func Observation(id, patientID, loinc, display string, value float64, unit, effective string) Resource {
	return Resource{
		"resourceType": "Observation",
		"id":           id,
		"status":       "final",
		"category": []any{map[string]any{"coding": []any{map[string]any{
			"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}}}},
		"code":              map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": loinc, "display": display}}, "text": display},
		"subject":           map[string]any{"reference": "Patient/" + patientID},
		"effectiveDateTime": effective,
		"valueQuantity":     map[string]any{"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
	}
}
