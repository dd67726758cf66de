package fhir

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDraftOrdersSpecExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file    string
		repairs []string
	}{
		{"spec/order-select-context-r4.json", []string{
			"draftOrders: Bundle.type missing, assumed collection",
			"draftOrders.entry[0] NutritionOrder: intent missing, assumed order",
			"draftOrders.entry[1] MedicationRequest: dosageInstruction[0].doseAndRate is an object, read as an array of one",
		}},
		{"spec/order-sign-context-r4.json", []string{
			"draftOrders: Bundle.type missing, assumed collection",
			"draftOrders.entry[0] NutritionOrder: intent missing, assumed order",
			"draftOrders.entry[1] MedicationRequest: dosageInstruction[0].doseQuantity (STU3) moved to doseAndRate[0]",
		}},
		{"spec/order-sign-context-stu3.json", nil}, // filled below: STU3 dose
		{"spec/order_select_hook_request.json", []string{
			"draftOrders: Bundle.type missing, assumed collection",
			"draftOrders.entry[0] NutritionOrder: intent missing, assumed order",
			"draftOrders.entry[1] MedicationRequest: dosageInstruction[0].doseAndRate is an object, read as an array of one",
		}},
		{"spec/order_sign_hook_request.json", []string{
			"draftOrders: Bundle.type missing, assumed collection",
			"draftOrders.entry[0] NutritionOrder: intent missing, assumed order",
			"draftOrders.entry[1] MedicationRequest: dosageInstruction[0].doseAndRate is an object, read as an array of one",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			d := parseDrafts(t, draftOrdersOf(t, tc.file))
			var refs []string
			for _, o := range d.Orders {
				refs = append(refs, o.Ref)
			}
			if diff := cmp.Diff([]string{"NutritionOrder/pureeddiet-simple", "MedicationRequest/smart-MedicationRequest-103"}, refs); diff != "" {
				t.Errorf("orders (-want +got):\n%s", diff)
			}
			if tc.repairs != nil {
				if diff := cmp.Diff(tc.repairs, d.Repairs); diff != "" {
					t.Errorf("repairs (-want +got):\n%s", diff)
				}
			}
			// Amoxicillin is neither a target nor interacting.
			if d.HasCandidates(tables(t)) {
				t.Error("HasCandidates = true for amoxicillin, want false")
			}
			// Every repaired MedicationRequest has an R4 doseAndRate array.
			var mr struct {
				DosageInstruction []struct {
					DoseAndRate []struct {
						DoseQuantity struct{ Value float64 } `json:"doseQuantity"`
					} `json:"doseAndRate"`
				} `json:"dosageInstruction"`
			}
			if err := json.Unmarshal(d.Orders[1].JSON, &mr); err != nil {
				t.Fatalf("repaired JSON: %v", err)
			}
			if got := mr.DosageInstruction[0].DoseAndRate[0].DoseQuantity.Value; got != 5 {
				t.Errorf("repaired doseQuantity.value = %v, want 5", got)
			}
		})
	}
}

// The spec examples name no order of interest: Derive yields no orders, but
// both draft orders' medications are context.
func TestDeriveSpecExampleNoOrdersOfInterest(t *testing.T) {
	t.Parallel()
	d := parseDrafts(t, draftOrdersOf(t, "spec/order-select-context-r4.json"))
	got := mustDerive(t, Request{
		Hook: "order-select", Drafts: d,
		Selections: []string{"NutritionOrder/pureeddiet-simple", "MedicationRequest/smart-MedicationRequest-103"},
		Prefetch:   map[string]json.RawMessage{"patient": json.RawMessage(testPatient)},
	})
	if len(got.Input.Orders) != 0 || len(got.OrderResources) != 0 {
		t.Errorf("orders = %v, want none", got.Input.Orders)
	}
	if len(got.Input.Medications) != 1 || !got.Input.Medications[0].Draft ||
		got.Input.Medications[0].Ref != "MedicationRequest/smart-MedicationRequest-103" {
		t.Fatalf("medications = %+v, want the amoxicillin draft", got.Input.Medications)
	}
	m := got.Input.Medications[0]
	// 5 mL BID of "120 MG/ML / clavulanate 8.58 MG/ML": two ingredients
	// unknown to the drug table, so no strength and no daily dose.
	const want = "dose in mL, and the order names no strength per mL"
	if m.DoseNote != want || m.DailyDoseMg != nil {
		t.Errorf("dose note = %q, daily = %v; want %q", m.DoseNote, m.DailyDoseMg, want)
	}
	if len(got.Repairs) != 3 {
		t.Errorf("repairs = %q, want the three draftOrders repairs", got.Repairs)
	}
}

func TestParseDraftOrdersLiberal(t *testing.T) {
	t.Parallel()
	abro := medRequest("a1", "draft", "abrocitinib 100 MG Oral Tablet")
	tests := []struct {
		name    string
		raw     string
		refs    []string
		repairs []string
	}{
		{"null and resource-less entries", `{"resourceType":"Bundle","type":"collection","entry":[null,{},{"resource":null},{"resource":` + abro + `}]}`,
			[]string{"MedicationRequest/a1"},
			[]string{"draftOrders.entry[0]: null, skipped", "draftOrders.entry[1]: no resource, skipped", "draftOrders.entry[2]: no resource, skipped"}},
		{"no type", `{"resourceType":"Bundle","entry":[{"resource":` + abro + `}]}`,
			[]string{"MedicationRequest/a1"}, []string{"draftOrders: Bundle.type missing, assumed collection"}},
		{"entry object", `{"resourceType":"Bundle","type":"collection","entry":{"resource":` + abro + `}}`,
			[]string{"MedicationRequest/a1"}, []string{"draftOrders: Bundle.entry is an object, read as an array of one"}},
		{"single resource", abro, []string{"MedicationRequest/a1"},
			[]string{"draftOrders: a single MedicationRequest instead of a Bundle, read as its only entry"}},
		{"no entries", `{"resourceType":"Bundle","type":"collection"}`, nil, nil},
		{"null", `null`, nil, nil},
		{"missing intent and status", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"MedicationRequest","id":"x","medicationCodeableConcept":{"text":"Rinvoq"}}}]}`,
			[]string{"MedicationRequest/x"}, []string{
				"draftOrders.entry[0] MedicationRequest: status missing, assumed draft",
				"draftOrders.entry[0] MedicationRequest: intent missing, assumed order"}},
		{"no id", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"MedicationRequest","status":"draft","intent":"order"}}]}`,
			[]string{"MedicationRequest/draft-entry-0"}, []string{"draftOrders.entry[0]: MedicationRequest without id, referenced as MedicationRequest/draft-entry-0"}},
		{"duplicate", string(drafts(abro, abro)), []string{"MedicationRequest/a1"}, []string{"draftOrders.entry[1]: duplicate MedicationRequest, skipped"}},
		{"coding object", string(drafts(`{"resourceType":"MedicationRequest","id":"c","status":"draft","intent":"order","medicationCodeableConcept":{"coding":{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"32968"}}}`)),
			[]string{"MedicationRequest/c"}, []string{"draftOrders.entry[0] MedicationRequest: medicationCodeableConcept.coding is an object, read as an array of one"}},
		// As the CDS Hooks Sandbox sends it: an update suggestion starts
		// from the repaired order and must be valid R4.
		{"category object", string(drafts(`{"resourceType":"MedicationRequest","id":"c","status":"draft","intent":"order","medicationCodeableConcept":{"text":"Rinvoq"},"category":{"coding":[{"code":"community"}]}}`)),
			[]string{"MedicationRequest/c"}, []string{"draftOrders.entry[0] MedicationRequest: category is an object, read as an array of one"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := parseDrafts(t, json.RawMessage(tc.raw))
			var refs []string
			for _, o := range d.Orders {
				refs = append(refs, o.Ref)
			}
			if diff := cmp.Diff(tc.refs, refs); diff != "" {
				t.Errorf("refs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.repairs, d.Repairs); diff != "" {
				t.Errorf("repairs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDraftOrdersWrongJSONType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		res  string
		want OrderError
	}{
		{"dosageInstruction string", medRequest("m", "draft", "Rinvoq", `"dosageInstruction":"15 mg daily SECRET"`),
			OrderError{Ref: "MedicationRequest/m", Field: "MedicationRequest.dosageInstruction", Message: "has the wrong JSON type, want an array"}},
		{"medicationCodeableConcept number", `{"resourceType":"MedicationRequest","id":"m","status":"draft","intent":"order","medicationCodeableConcept":424242}`,
			OrderError{Ref: "MedicationRequest/m", Field: "MedicationRequest.medicationCodeableConcept", Message: "has the wrong JSON type, want an object"}},
		{"frequency string", medRequest("m", "draft", "Rinvoq", `"dosageInstruction":[{"timing":{"repeat":{"frequency":"424242"}}}]`),
			OrderError{Ref: "MedicationRequest/m", Field: "MedicationRequest.dosageInstruction.timing.repeat.frequency", Message: "has the wrong JSON type, want a number"}},
		{"dose value string", medRequest("m", "draft", "Rinvoq", `"dosageInstruction":[{"doseAndRate":[{"doseQuantity":{"value":"424242"}}]}]`),
			OrderError{Ref: "MedicationRequest/m", Field: "MedicationRequest.dosageInstruction.doseAndRate.doseQuantity.value", Message: "has the wrong JSON type, want a number"}},
		{"contained Medication code", medRequest("m", "draft", "Rinvoq", `"contained":[{"resourceType":"Medication","id":"x","code":424242}]`),
			OrderError{Ref: "MedicationRequest/m", Field: "MedicationRequest.contained[0].code", Message: "has the wrong JSON type, want an object"}},
		{"vaccineCode array", `{"resourceType":"Immunization","id":"i","status":"completed","vaccineCode":[424242]}`,
			OrderError{Ref: "Immunization/i", Field: "Immunization.vaccineCode", Message: "has the wrong JSON type, want an object"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseDraftOrders(drafts(tc.res))
			var oe *OrderError
			if !errors.As(err, &oe) {
				t.Fatalf("err = %v, want *OrderError", err)
			}
			if diff := cmp.Diff(tc.want, *oe); diff != "" {
				t.Errorf("OrderError (-want +got):\n%s", diff)
			}
			if msg := oe.Error(); strings.Contains(msg, "424242") || strings.Contains(msg, "SECRET") {
				t.Errorf("message %q quotes a value", msg)
			}
		})
	}
	for _, raw := range []string{`"x"`, `[1]`, `{"resourceType":"Bundle","entry":"x"}`, `{"resourceType":7}`} {
		_, err := ParseDraftOrders(json.RawMessage(raw))
		var oe *OrderError
		if !errors.As(err, &oe) {
			t.Errorf("ParseDraftOrders(%s) err = %v, want *OrderError", raw, err)
		}
	}
	// A wrong type in a field the service does not read is not an error.
	if _, err := ParseDraftOrders(drafts(medRequest("m", "draft", "Rinvoq", `"note":42`, `"subject":"x"`))); err != nil {
		t.Errorf("wrong type in an unread field: %v", err)
	}
}

// Values that R4 rejects in an order of interest are removed and noted; the
// order is still checked.
func TestTypedParseRepairs(t *testing.T) {
	t.Parallel()
	res := medRequest("a1", "draft", "abrocitinib 100 MG Oral Tablet",
		`"authoredOn":"2026-13-45"`, `"vendorThing":{"x":1}`,
		`"dosageInstruction":[{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":2,"unit":"tablet"}}],"madeUp":true}]`)
	d := parseDrafts(t, drafts(res))
	got := mustDerive(t, Request{Drafts: d, Prefetch: map[string]json.RawMessage{"patient": json.RawMessage(testPatient)}})
	if len(got.Input.Orders) != 1 {
		t.Fatalf("orders = %+v", got.Input.Orders)
	}
	want := []string{
		"draftOrders.entry[0] MedicationRequest: MedicationRequest.authoredOn removed (expected datetime)",
		"draftOrders.entry[0] MedicationRequest: MedicationRequest.dosageInstruction[0].madeUp removed (unknown field)",
	}
	if diff := cmp.Diff(want, got.Repairs, cmp.Transformer("sort", sorted)); diff != "" {
		t.Errorf("repairs (-want +got):\n%s", diff)
	}
	if o := got.Input.Orders[0]; o.DailyDoseMg == nil || *o.DailyDoseMg != 200 {
		t.Errorf("daily dose = %v, want 200", o.DailyDoseMg)
	}
	// The vendor element is not read, so it never reaches the typed parse,
	// and the repaired JSON keeps it for the update suggestion.
	if !strings.Contains(string(got.OrderResources["MedicationRequest/a1"]), "vendorThing") {
		t.Error("order JSON lost an element the service does not read")
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
