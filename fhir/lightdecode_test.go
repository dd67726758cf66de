package fhir

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	tp "github.com/labelguard/labelguard/internal/testpatient"
)

// The prefetch is decoded with encoding/json/v2 (light.go). These tests
// derive the same prefetch a second time with encoding/json, the decoder
// it replaced, and require the same facts and the same errors, over the
// Synthea patients, the fuzz seeds and odd shapes, and under fuzzing. The
// one difference by design, member names in another case ("Code" for
// "code", which encoding/json also matched and FHIR does not define), is
// left out of the comparison and tested on its own.

func FuzzPrefetchDecodeAgrees(f *testing.F) {
	for _, s := range decodeSeeds(f) {
		f.Add(s)
	}
	tab := tables(f)
	f.Fuzz(func(t *testing.T, raw []byte) { checkDecodeAgrees(t, tab, raw) })
}

func TestPrefetchDecodeAgreesWithEncodingJSON(t *testing.T) {
	tab := tables(t)
	for i, s := range decodeSeeds(t) {
		if !checkDecodeAgrees(t, tab, s) {
			t.Errorf("seed %d was not compared (not JSON, or names in another case)", i)
		}
	}
}

// checkDecodeAgrees derives raw (a prefetch object, or one value under
// "patient") with both decoders and fails on any difference. It reports
// whether the input was compared.
func checkDecodeAgrees(t *testing.T, tab Tables, raw []byte) bool {
	t.Helper()
	if !json.Valid(raw) || hasCaseVariantNames(raw) {
		return false
	}
	var pf map[string]json.RawMessage
	if json.Unmarshal(raw, &pf) != nil || pf == nil {
		pf = map[string]json.RawMessage{"patient": raw}
	}
	req := Request{Hook: "order-sign", Now: testNow, PatientID: "p1", Prefetch: pf, ExpectedKeys: []string{"patient", "conditions"}}
	got, gotErr := Derive(tab, req)
	v2 := decodeLight
	decodeLight = json.Unmarshal
	want, wantErr := Derive(tab, req)
	decodeLight = v2
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && !errors.Is(gotErr, ErrPatientUnavailable)) {
		t.Fatalf("v2 error %v, encoding/json error %v", gotErr, wantErr)
	}
	if gotErr != nil {
		return true
	}
	if d := cmp.Diff(want.Input, got.Input); d != "" {
		t.Fatalf("facts differ (-encoding/json +v2):\n%s", d)
	}
	if d := cmp.Diff(want.Repairs, got.Repairs); d != "" {
		t.Fatalf("repairs differ (-encoding/json +v2):\n%s", d)
	}
	return true
}

// lightNames are the JSON member names of the light decode's types.
var lightNames = func() map[string]string {
	out := map[string]string{}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" {
				name = f.Name
			}
			out[strings.ToLower(name)] = name
			walk(f.Type)
		}
	}
	for _, v := range []any{resource{}, fastValue{}, envelope{}, bundleEntry{}, medication{}, reference{}} {
		walk(reflect.TypeOf(v))
	}
	return out
}()

// hasCaseVariantNames reports whether an object member name of raw equals a
// light-decode name in another case: encoding/json matched those, v2 (as
// FHIR) does not.
func hasCaseVariantNames(raw []byte) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if n, ok := lightNames[strings.ToLower(k)]; ok && n != k {
					return true
				}
				if walk(e) {
					return true
				}
			}
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// TestPrefetchMemberNamesAreCaseSensitive: a member name in another case
// is not the FHIR element (encoding/json read "Code" as code).
func TestPrefetchMemberNamesAreCaseSensitive(t *testing.T) {
	tab := tables(t)
	cond := `{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"Code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"A15.0"}]}}`
	d, err := Derive(tab, Request{Hook: "order-sign", Now: testNow, PatientID: "p1", Prefetch: map[string]json.RawMessage{
		"patient": json.RawMessage(testPatient), "conditions": searchset(cond)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Input.Conditions) != 1 || len(d.Input.Conditions[0].Codes) != 0 {
		t.Fatalf("conditions %+v: want one condition without codes", d.Input.Conditions)
	}
}

// decodeSeeds: every resource of the Synthea patients, alone and as the
// bundles they came in, the fuzz seeds, and shapes at the edges of the
// JSON the light decode reads.
func decodeSeeds(tb testing.TB) [][]byte {
	seeds := prefetchSeeds(tb)
	names, err := filepath.Glob(filepath.Join(filepath.Dir(tp.SamplePath("x.json")), "*.json"))
	if err != nil || len(names) == 0 {
		tb.Fatalf("Synthea samples: %v (%d files)", err, len(names))
	}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, data)
		var b struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(data, &b); err != nil {
			tb.Fatal(err)
		}
		for _, e := range b.Entry {
			seeds = append(seeds, e.Resource)
		}
	}
	odd := []string{
		// A repeated member: the last one wins.
		`{"resourceType":"Patient","id":"p1","gender":"male","gender":"female","birthDate":"1990-01-01"}`,
		`{"patient":` + testPatient + `,"conditions":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/p1"},"code":{"text":"a"},"code":{"text":"tuberculosis"}}}]}}`,
		// Invalid UTF-8 in a name.
		"{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"fe\xffmale\"}",
		"{\"patient\":" + testPatient + ",\"conditions\":{\"resourceType\":\"Condition\",\"id\":\"c\",\"subject\":{\"reference\":\"Patient/p1\"},\"code\":{\"text\":\"tuber\xc3culosis\"}}}",
		// Wrong types, where they drop a resource and where they are ignored.
		`{"patient":` + testPatient + `,"conditions":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Condition","id":"c","subject":5,"code":{"text":7}}},{"resource":{"resourceType":"Condition","id":"d","code":{"text":"hiv"}}}]}}`,
		`{"patient":` + testPatient + `,"observations":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Observation","id":"o","status":"final","code":{"coding":{"system":"http://loinc.org","code":"751-8"}},"valueQuantity":{"value":"0.5"}}}]}}`,
		// One object where R4 has an array; STU3 status strings; nulls.
		`{"patient":` + testPatient + `,"observations":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Observation","id":"o","status":"final","code":{"coding":{"system":"http://loinc.org","code":"751-8"}},"valueQuantity":{"value":0.5,"unit":"10*9/L"},"interpretation":{"coding":[{"code":"L"}]},"effectiveDateTime":"2026-11-20"}}]}}`,
		`{"patient":` + testPatient + `,"conditions":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Condition","id":"c","clinicalStatus":"active","verificationStatus":null,"code":{"coding":null,"text":"hiv"}}}]}}`,
		`{"patient":` + testPatient + `,"medications":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"MedicationRequest","id":"m","status":"active","intent":"order","subject":{"reference":"Patient/p1"},"medicationCodeableConcept":{"text":"clopidogrel 75 MG"},"dosageInstruction":[{"doseAndRate":{"doseQuantity":{"value":1}}}],"contained":[{"resourceType":"Medication","id":"x","code":5},{"resourceType":"Medication","id":"y","code":{"text":"z"}}]}}]}}`,
		// Keys sorted (resourceType not first), nested Bundles, wrappers.
		`{"patient":{"birthDate":"1990-01-01","gender":"female","id":"p1","resourceType":"Patient"},"conditions":{"entry":[{"resource":{"code":{"text":"hiv"},"id":"c","resourceType":"Condition"}}],"resourceType":"Bundle"}}`,
		`{"patient":` + testPatient + `,"conditions":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Condition","id":"c","code":{"text":"hiv"}}}]}}]}}`,
		`{"patient":{"response":{"status":"200"},"resource":` + testPatient + `}}`,
	}
	for _, s := range odd {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}
