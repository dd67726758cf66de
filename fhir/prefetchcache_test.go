package fhir

import (
	"encoding/json"
	"reflect"
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
