package fhir

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// draftSeeds are the draft orders of the fixtures and tests.
func draftSeeds(tb testing.TB) [][]byte {
	seeds := [][]byte{
		draftOrdersOf(tb, "spec/order-select-context-r4.json"),
		draftOrdersOf(tb, "spec/order-sign-context-stu3.json"),
		draftOrdersOf(tb, "spec/order_sign_hook_request.json"),
		drafts(abroDraft, clopidogrelDraft),
		drafts(medRequest("m", "draft", "Rinvoq", `"dosageInstruction":{"doseQuantity":{"value":1,"unit":"tablet"},"timing":{"code":{"text":"BID"}}}`)),
		drafts(`{"resourceType":"ServiceRequest","id":"s","status":"draft","intent":"order","code":{"coding":{"system":"http://hl7.org/fhir/sid/cvx","code":"03"}}}`),
		json.RawMessage(`{"resourceType":"Bundle","entry":[null,{},{"resource":{"resourceType":"MedicationRequest","medicationReference":{"reference":"#m"},"contained":[{"resourceType":"Medication","id":"m","code":{"text":"abrocitinib"}}]}}]}`),
	}
	out := make([][]byte, len(seeds))
	for i, s := range seeds {
		out[i] = s
	}
	return out
}

func FuzzParseDraftOrders(f *testing.F) {
	for _, s := range draftSeeds(f) {
		f.Add(s)
	}
	tab := tables(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := ParseDraftOrders(raw)
		if err != nil {
			var oe *OrderError
			if !errors.As(err, &oe) {
				t.Fatalf("error is not an *OrderError: %v", err)
			}
			return
		}
		d.HasCandidates(tab)
		// Orders of interest go through the typed parse in Derive.
		_, err = Derive(tab, Request{Hook: "order-sign", Now: testNow, PatientID: "p1", Drafts: d,
			Prefetch: map[string]json.RawMessage{"patient": json.RawMessage(testPatient),
				"medications": json.RawMessage(medRequest("active", "active", "Rinvoq"))}})
		var oe *OrderError
		if err != nil && !errors.As(err, &oe) {
			t.Fatalf("Derive: %v", err)
		}
	})
}

// prefetchSeeds are small prefetch objects covering the shapes Derive reads.
func prefetchSeeds(tb testing.TB) [][]byte {
	mk := func(m map[string]json.RawMessage) []byte {
		b, err := json.Marshal(m)
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	focused := focusedPrefetch(tb)
	return [][]byte{
		mk(map[string]json.RawMessage{"patient": json.RawMessage(testPatient), "conditions": json.RawMessage("null")}),
		mk(map[string]json.RawMessage{"patient": json.RawMessage(`{"resource":` + testPatient + `}`),
			"observations": searchset(obs("o1", "final", "751-8", qty("1500", "/uL"), `"effectiveDateTime":"2026-11-20"`),
				obs("o2", "final", "718-7", qty("125", "g/L"), `"issued":"2026-11-20T00:00:00Z"`),
				obs("o3", "final", "71773-6", `"valueString":"negative"`, `"effectivePeriod":{"end":"2026-01"}`))}),
		mk(map[string]json.RawMessage{"patient": json.RawMessage(testPatient), "x": json.RawMessage(`{"resourceType":"OperationOutcome","issue":[{"severity":"error"}]}`),
			"medications": searchset(`{"resourceType":"MedicationStatement","id":"s","status":"active","medicationReference":{"reference":"Medication/m"},"dosage":[{"doseQuantity":{"value":1,"unit":"tablet"}}]}`,
				`{"resourceType":"Medication","id":"m","code":{"text":"Cibinqo 100 MG"}}`)}),
		mk(map[string]json.RawMessage{"patient": json.RawMessage(`{"resourceType":"Bundle","entry":[{"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient"}},{"fullUrl":"urn:uuid:c","resource":{"resourceType":"Condition","subject":{"reference":"urn:uuid:p1"},"clinicalStatus":"active"}}]}`)}),
		focused,
	}
}

func FuzzDerive(f *testing.F) {
	for _, s := range prefetchSeeds(f) {
		f.Add(s)
	}
	// Times after testNow, for the check of Derived.At below: a result
	// half an hour on, an abatement six hours on, a birth later today.
	later, err := json.Marshal(map[string]json.RawMessage{"patient": json.RawMessage(testPatient),
		"observations": searchset(obs("o1", "final", "751-8", qty("1500", "/uL"), `"effectiveDateTime":"2026-11-20"`),
			obs("o2", "final", "751-8", qty("900", "/uL"), `"effectiveDateTime":"2026-11-23T12:30:00Z"`)),
		"conditions": searchset(`{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/p1"},"code":{"text":"Herpes zoster"},"abatementDateTime":"2026-11-23T18:00:00Z"}`),
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(later)
	f.Add([]byte(`{"patient":{"resourceType":"Patient","id":"p1","birthDate":"2026-11-23T23:00:00Z"}}`))
	tab := tables(f)
	d, err := ParseDraftOrders(drafts(abroDraft, clopidogrelDraft))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var pf map[string]json.RawMessage
		if json.Unmarshal(raw, &pf) != nil {
			if !json.Valid(raw) {
				return // the request decoder rejects invalid JSON before Derive
			}
			pf = map[string]json.RawMessage{"patient": raw}
		}
		got, err := Derive(tab, Request{Hook: "order-sign", Now: testNow, PatientID: "p1", Drafts: d,
			Prefetch: pf, ExpectedKeys: []string{"patient", "conditions"}})
		if err != nil {
			if !errors.Is(err, ErrPatientUnavailable) {
				t.Fatalf("Derive: %v", err)
			}
			return
		}
		if _, err := json.Marshal(got.Input); err != nil {
			t.Fatalf("input does not encode: %v", err)
		}
		// What Derived.At gives for a later time and another call is what
		// deriving again gives, whatever the prefetch holds.
		for _, later := range []struct {
			after time.Duration
			call  Call
		}{
			{time.Hour, Call{Service: "s", Hook: "order-select", HookInstance: "h2", Selections: []string{"MedicationRequest/abro-1"}}},
			{11*time.Hour + 59*time.Minute, Call{Service: "s", Hook: "order-sign", HookInstance: "h3"}},
		} {
			at := testNow.Add(later.after)
			re, ok := got.At(at, later.call)
			if !ok {
				if got.Until.IsZero() || at.Before(got.Until) {
					t.Fatalf("At(+%v) refused a time of the same date before Until %v", later.after, got.Until)
				}
				continue
			}
			want, err := Derive(tab, Request{Service: later.call.Service, Hook: later.call.Hook, HookInstance: later.call.HookInstance,
				Selections: later.call.Selections, Now: at, PatientID: "p1", Drafts: d, Prefetch: pf, ExpectedKeys: []string{"patient", "conditions"}})
			if err != nil {
				t.Fatalf("Derive at +%v: %v", later.after, err)
			}
			if !reflect.DeepEqual(want.Input, re.Input) || !reflect.DeepEqual(want.OrderResources, re.OrderResources) || !reflect.DeepEqual(want.Repairs, re.Repairs) {
				t.Fatalf("At(+%v) differs from deriving again:\nAt:     %+v\nDerive: %+v", later.after, re.Input, want.Input)
			}
		}
	})
}

// TestFuzzCorpusFiles keeps the corpus directory honest: every file there is
// run by the fuzz targets' seed phase in plain `go test`.
func TestFuzzCorpusFiles(t *testing.T) {
	t.Parallel()
	for _, target := range []string{"FuzzParseDraftOrders", "FuzzDerive"} {
		entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", target))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				t.Errorf("%s/%s: unexpected directory", target, e.Name())
			}
		}
	}
}
