package fhir

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
)

// focusedPrefetch is what a service's prefetch templates return for the
// Synthea patient: the Patient and searchsets of conditions, medications,
// observations, immunizations and allergies, references rewritten from
// urn:uuid to Type/id as an EHR would send them (~90 resources).
func focusedPrefetch(tb testing.TB) []byte {
	tb.Helper()
	var b struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(readFile(tb, mariaFile), &b); err != nil {
		tb.Fatal(err)
	}
	keyOf := map[string]string{"Condition": "conditions", "MedicationRequest": "medications", "Observation": "observations",
		"Immunization": "immunizations", "AllergyIntolerance": "allergies"}
	groups := map[string][]string{}
	pf := map[string]json.RawMessage{}
	for _, e := range b.Entry {
		var head struct {
			ResourceType string `json:"resourceType"`
		}
		if err := json.Unmarshal(e.Resource, &head); err != nil {
			tb.Fatal(err)
		}
		r := strings.ReplaceAll(string(e.Resource), "urn:uuid:"+mariaID, "Patient/"+mariaID)
		if head.ResourceType == "Patient" {
			pf["patient"] = json.RawMessage(r)
		} else if k, ok := keyOf[head.ResourceType]; ok {
			groups[k] = append(groups[k], r)
		}
	}
	for _, k := range keyOf {
		pf[k] = searchset(groups[k]...)
	}
	out, err := json.Marshal(pf)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func BenchmarkParseDraftOrders(b *testing.B) {
	for name, raw := range map[string]json.RawMessage{
		"spec-example": draftOrdersOf(b, "spec/order-select-context-r4.json"),
		"abrocitinib":  drafts(abroDraft),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseDraftOrders(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTypedParse measures the google/fhir/go parse of one order, with
// and without extended validation, and the typed view as used.
func BenchmarkTypedParse(b *testing.B) {
	d := parseDrafts(b, drafts(abroDraft))
	full := []byte(abroDraft)
	for _, tc := range []struct {
		name     string
		validate bool
	}{{"with-validation", true}, {"without-validation", false}} {
		b.Run(tc.name, func(b *testing.B) {
			u, _ := jsonformat.NewUnmarshallerWithoutValidation("UTC", fhirversion.R4)
			if tc.validate {
				u, _ = jsonformat.NewUnmarshaller("UTC", fhirversion.R4)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := u.Unmarshal(full); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("typedView", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := d.Orders[0].typedView(nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPrefetchDecode(b *testing.B) {
	var focused map[string]json.RawMessage
	if err := json.Unmarshal(focusedPrefetch(b), &focused); err != nil {
		b.Fatal(err)
	}
	whole := map[string]json.RawMessage{"everything": readFile(b, mariaFile)}
	for _, tc := range []struct {
		name string
		pf   map[string]json.RawMessage
	}{{"focused", focused}, {"whole-bundle", whole}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				st := newStore()
				for k, v := range tc.pf {
					st.addValue(k, v)
				}
			}
		})
	}
}

func BenchmarkDerive(b *testing.B) {
	tab := tables(b)
	var focused map[string]json.RawMessage
	if err := json.Unmarshal(focusedPrefetch(b), &focused); err != nil {
		b.Fatal(err)
	}
	whole := map[string]json.RawMessage{"everything": readFile(b, mariaFile)}
	d := parseDrafts(b, drafts(abroDraft))
	for _, tc := range []struct {
		name string
		pf   map[string]json.RawMessage
	}{{"focused", focused}, {"whole-bundle", whole}} {
		b.Run(tc.name, func(b *testing.B) {
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				got, err := Derive(tab, Request{Hook: "order-sign", Now: testNow, PatientID: mariaID, Drafts: d, Prefetch: tc.pf})
				if err != nil {
					b.Fatal(err)
				}
				n = len(got.Input.Orders)
			}
			if n != 1 {
				b.Fatalf("orders = %d", n)
			}
		})
	}
}

func TestFocusedPrefetchSize(t *testing.T) {
	t.Parallel()
	var pf map[string]json.RawMessage
	if err := json.Unmarshal(focusedPrefetch(t), &pf); err != nil {
		t.Fatal(err)
	}
	st := newStore()
	for k, v := range pf {
		st.addValue(k, v)
	}
	if n := len(st.items); n < 50 || n > 120 {
		t.Errorf("focused prefetch holds %d resources", n)
	}
}
