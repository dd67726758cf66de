package fhir

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPrefetchCacheDerivesTheSame: a cached value gives exactly the facts
// decoding gives, on the first call (miss) and the next (hit), also when
// calls share the cache concurrently (run with -race).
func TestPrefetchCacheDerivesTheSame(t *testing.T) {
	t.Parallel()
	maria := readFile(t, mariaFile)
	reqs := []Request{
		{Drafts: parseDrafts(t, drafts(abroDraft, clopidogrelDraft)), PatientID: mariaID,
			Prefetch: map[string]json.RawMessage{"a": maria, "b": maria, "c": json.RawMessage("null")}},
		{Hook: "patient-view", Prefetch: map[string]json.RawMessage{"patient": json.RawMessage(testPatient),
			"a": searchset(`{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"}}`, `{"resourceType":"Condition","id":5}`),
			"b": json.RawMessage(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"timeout"}]}`),
			"x": json.RawMessage(`42`)}},
	}
	for i, req := range reqs {
		want := mustDerive(t, req)
		cache := NewPrefetchCache(time.Minute, 64<<20)
		req.Cache = cache
		if req.Now.IsZero() {
			req.Now = testNow
		}
		if req.PatientID == "" {
			req.PatientID = "p1"
		}
		if req.Hook == "" {
			req.Hook = "order-sign"
		}
		tbl := tables(t)
		var wg sync.WaitGroup
		results := make([]*Derived, 8)
		errs := make([]error, 8)
		for j := range results {
			wg.Go(func() { results[j], errs[j] = Derive(tbl, req) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		again := mustDerive(t, req)
		for j, got := range append(results, again) {
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("request %d, call %d: derived facts differ with the cache", i, j)
			}
		}
		if hits, _ := cache.Stats(); hits == 0 {
			t.Errorf("request %d: no cache hit in 9 calls", i)
		}
		if hits, _ := cache.OrderStats(); i == 0 && hits == 0 {
			t.Errorf("request %d: no order parse reused in 9 calls", i)
		}
	}
}

func TestPrefetchCacheBounds(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	c := NewPrefetchCache(time.Minute, 100)
	c.now = func() time.Time { return now }
	small := json.RawMessage(`{"resourceType":"Patient","id":"p1"}`) // 36 bytes
	other := json.RawMessage(`{"resourceType":"Patient","id":"p2"}`)
	c.part("patient", small)
	c.part("patient", small)
	if h, m := c.Stats(); h != 1 || m != 1 {
		t.Fatalf("same key and bytes: hits %d misses %d, want 1 1", h, m)
	}
	c.part("other-key", small) // another key is another value
	if _, m := c.Stats(); m != 2 {
		t.Errorf("another key reused a value: misses %d, want 2", m)
	}
	now = now.Add(61 * time.Second)
	c.part("patient", small)
	if h, m := c.Stats(); h != 1 || m != 3 {
		t.Errorf("after the TTL: hits %d misses %d, want 1 3 (decoded again)", h, m)
	}
	// The sweep dropped both expired values; patient is cached again.
	c.part("p2", other)
	c.part("p3", other) // 3 x 36 > 100: the oldest (patient) goes
	if c.bytes != 72 || len(c.entries) != 2 {
		t.Errorf("over maxBytes: %d bytes in %d entries, want 72 in 2", c.bytes, len(c.entries))
	}
	_, before := c.Stats()
	c.part("patient", small)
	if _, m := c.Stats(); m != before+1 {
		t.Error("the oldest value was not the one dropped")
	}
	if got := c.part("big", make(json.RawMessage, 101)); got == nil || c.bytes > 100 {
		t.Errorf("a value larger than the cache: part %v, %d bytes cached", got, c.bytes)
	}
	if NewPrefetchCache(0, 100) != nil || NewPrefetchCache(time.Minute, 0) != nil {
		t.Error("a zero TTL or size should disable the cache")
	}
	var off *PrefetchCache
	if off.part("patient", small) == nil {
		t.Error("a nil cache must still decode")
	}
}

// TestTypedParseCache: a draft order sent again with the same elements the
// service reads (the next order-select of the session, order-sign) reuses
// its typed R4 parse, with the facts, repair notes and rejection a fresh
// parse gives, the notes naming this call's entry; a change to an element
// read is parsed afresh, a change to one not read is not.
func TestTypedParseCache(t *testing.T) {
	t.Parallel()
	const abro = "abrocitinib 100 MG Oral Tablet"
	dose := func(n int) string {
		return fmt.Sprintf(`"dosageInstruction":[{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":%d,"unit":"tablet"}}]}]`, n)
	}
	repaired := medRequest("a1", "draft", abro, `"authoredOn":"2026-13-45"`, dose(1))
	noted := medRequest("a1", "draft", abro, `"authoredOn":"2026-13-45"`, dose(1), `"note":[{"text":"take with food"}]`)
	twoTablets := medRequest("a1", "draft", abro, `"authoredOn":"2026-13-45"`, dose(2))
	other := medRequest("p1", "draft", "paracetamol 500 MG Oral Tablet") // not an order of interest: no typed parse
	rejected := medRequest("a2", "draft", abro, `"contained":[{"resourceType":"Medication","id":"x","code":{"text":"a","madeUp":1}}]`)
	patient := map[string]json.RawMessage{"patient": json.RawMessage(testPatient)}

	c := NewPrefetchCache(time.Minute, 1<<20)
	steps := []struct {
		name       string
		orders     []string
		hits, miss int64
		note       string // a repair note the call must carry
	}{
		{"first selection", []string{repaired}, 0, 1, "draftOrders.entry[0] MedicationRequest: MedicationRequest.authoredOn removed"},
		{"same order at another entry", []string{other, repaired}, 1, 1, "draftOrders.entry[1] MedicationRequest: MedicationRequest.authoredOn removed"},
		{"a note added (not read)", []string{noted}, 2, 1, "draftOrders.entry[0] MedicationRequest: MedicationRequest.authoredOn removed"},
		{"two tablets (read)", []string{twoTablets}, 2, 2, "draftOrders.entry[0] MedicationRequest: MedicationRequest.authoredOn removed"},
	}
	for _, s := range steps {
		req := Request{Drafts: parseDrafts(t, drafts(s.orders...)), Prefetch: patient}
		want := mustDerive(t, req)
		req.Cache = c
		got := mustDerive(t, req)
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: derived facts differ with the cache", s.name)
		}
		if h, m := c.OrderStats(); h != s.hits || m != s.miss {
			t.Errorf("%s: order parse hits %d misses %d, want %d %d", s.name, h, m, s.hits, s.miss)
		}
		if !slices.ContainsFunc(got.Repairs, func(r string) bool { return strings.HasPrefix(r, s.note) }) {
			t.Errorf("%s: repairs %q lack %q", s.name, got.Repairs, s.note)
		}
	}
	if h, _ := c.Stats(); h != 3 {
		t.Errorf("prefetch hits %d, want 3: order parses are counted apart", h)
	}
	for i := range 2 {
		_, err := Derive(tables(t), Request{Hook: "order-sign", Now: testNow, PatientID: "p1", Prefetch: patient,
			Drafts: parseDrafts(t, drafts(rejected)), Cache: c})
		var oe *OrderError
		if !errors.As(err, &oe) || oe.Ref != "MedicationRequest/a2" || oe.Field != "MedicationRequest.contained[0].Medication.code.madeUp" {
			t.Fatalf("rejected order, call %d: err = %v", i, err)
		}
	}
	if h, m := c.OrderStats(); h != 3 || m != 3 {
		t.Errorf("rejected order twice: hits %d misses %d, want 3 3 (the rejection is reused)", h, m)
	}
	// A prefetch value with an order's bytes is another entry.
	before, _ := c.Stats()
	c.part("", json.RawMessage(`{}`))
	c.typed([]byte(`{}`), func() *typedParse { return &typedParse{field: "x", message: "y"} })
	if h, _ := c.Stats(); h != before {
		t.Error("a prefetch value was served from an order's entry")
	}
	if h, _ := c.OrderStats(); h != 3 {
		t.Error("an order parse was served from a prefetch value's entry")
	}
}

// TestResolveReference: a reference resolves to "Type/id" from its last
// two segments (absolute URLs and versions too), through a Bundle's
// fullUrl, or to nothing.
func TestResolveReference(t *testing.T) {
	t.Parallel()
	st := newStore()
	st.fullURL["urn:uuid:5a1"] = "Patient/p1"
	for ref, want := range map[string]string{
		"Patient/p1":                                     "Patient/p1",
		" Patient/p1 ":                                   "Patient/p1",
		"https://ehr.example/fhir/Patient/p1":            "Patient/p1",
		"Patient/p1/_history/3":                          "Patient/p1",
		"https://ehr.example/fhir/Patient/p1/_history/3": "Patient/p1",
		"urn:uuid:5a1":                                   "Patient/p1",
		"urn:uuid:other":                                 "",
		"#med":                                           "",
		"":                                               "",
		"p1":                                             "",
		"/p1":                                            "",
		"Patient/":                                       "",
		"patient/p1":                                     "",
		"a/b/Condition/c1":                               "Condition/c1",
	} {
		if got := st.resolve(ref); got != want {
			t.Errorf("resolve(%q) = %q, want %q", ref, got, want)
		}
	}
}
