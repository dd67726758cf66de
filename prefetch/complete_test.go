package prefetch

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// firstPage GETs one page of a search from the test FHIR server, as a CDS
// client that prefetches without following next links sends it.
func firstPage(t *testing.T, url string) json.RawMessage {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tokenA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return body
}

// withTotal rewrites a Bundle's total, keeping its entries and links.
func withTotal(t *testing.T, raw json.RawMessage, total int) json.RawMessage {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	b["total"] = total
	out, _ := json.Marshal(b)
	return out
}

func TestCompleteSentPage(t *testing.T) {
	base := fhirServer(t)
	s := kermit(t)
	all := len(s.byType["Observation"]) // 44: pages of 20, 20 and 4
	tmpl := map[string]string{"observations": "Observation?patient={{context.patientId}}"}
	page := firstPage(t, base+"/fhir/Observation?patient="+s.patientID+"&_count=20")
	if len(entries(t, withoutLinks(t, page))) != 20 {
		t.Fatal("first page does not hold 20 entries")
	}
	sent := func(v json.RawMessage) FillRequest {
		req := fillReq(base, s, tmpl, tokenA)
		req.Prefetch = map[string]json.RawMessage{"observations": v}
		return req
	}

	t.Run("next pages fetched and merged", func(t *testing.T) {
		f, ct, logs := newTestFetcher(t, Config{})
		res := fill(t, f, sent(page))
		got := entries(t, res.Prefetch["observations"])
		ids := map[any]bool{}
		for _, r := range got {
			ids[r["id"]] = true
		}
		if len(got) != all || len(ids) != all || ct.count() != 2 || len(res.Issues) != 0 {
			t.Fatalf("%d entries (%d distinct) of %d in %d requests, issues %+v", len(got), len(ids), all, ct.count(), res.Issues)
		}
		if len(res.Completed) != 1 || len(res.Fetched) != 0 {
			t.Fatalf("completed %v fetched %v", res.Completed, res.Fetched)
		}
		if !strings.Contains(ct.paths[0], "_offset=20") || strings.Contains(logs.String(), tokenA) {
			t.Fatalf("requests %v", ct.paths)
		}
		// order-sign after order-select: the same page is completed from
		// the cache.
		again := fill(t, f, sent(page))
		if ct.count() != 2 || len(again.FromCache) != 1 || string(again.Prefetch["observations"]) != string(res.Prefetch["observations"]) {
			t.Fatalf("second Fill: %d requests, from cache %v", ct.count(), again.FromCache)
		}
	})

	t.Run("page limit", func(t *testing.T) {
		f, ct, _ := newTestFetcher(t, Config{MaxPages: 1})
		res := fill(t, f, sent(page))
		if d, ok := issue(res, "paging-capped", "observations"); !ok || d.Count != 40 || ct.count() != 1 ||
			len(entries(t, res.Prefetch["observations"])) != 40 {
			t.Fatalf("issues %+v after %d requests", res.Issues, ct.count())
		}
	})

	t.Run("total reached: the next link is not followed", func(t *testing.T) {
		f, ct, _ := newTestFetcher(t, Config{})
		res := fill(t, f, sent(withTotal(t, page, 20)))
		if ct.count() != 0 || len(res.Issues) != 0 || len(entries(t, res.Prefetch["observations"])) != 20 {
			t.Fatalf("%d requests, issues %+v", ct.count(), res.Issues)
		}
	})

	t.Run("server not allowed: the page stays as sent", func(t *testing.T) {
		f, ct, _ := newTestFetcher(t, Config{Allowed: func(string) bool { return false }})
		res := fill(t, f, sent(page))
		if ct.count() != 0 || len(res.Issues) != 0 || string(res.Prefetch["observations"]) != string(page) {
			t.Fatalf("%d requests, issues %+v", ct.count(), res.Issues)
		}
	})

	t.Run("wrong token: the fetched pages fail, the sent one is kept", func(t *testing.T) {
		f, _, _ := newTestFetcher(t, Config{})
		req := sent(page)
		req.Authorization = auth("wrong-token", s.patientID)
		res := fill(t, f, req)
		if d, ok := issue(res, "fetch-failed", "observations"); !ok || d.Detail != "partial: "+ReasonUnauthorized ||
			len(entries(t, res.Prefetch["observations"])) != 20 {
			t.Fatalf("issues %+v", res.Issues)
		}
	})
}

// withoutLinks drops Bundle.link, so entries() accepts a raw page.
func withoutLinks(t *testing.T, raw json.RawMessage) json.RawMessage {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	delete(b, "link")
	out, _ := json.Marshal(b)
	return out
}

func TestCompleteForeignNextLink(t *testing.T) {
	base := fhirServer(t)
	s := kermit(t)
	// The page's next link names "localhost", another origin than the
	// fhirServer's 127.0.0.1.
	page := firstPage(t, base+"/foreign-next/fhir/Observation?patient="+s.patientID+"&_count=20")
	f, ct, _ := newTestFetcher(t, Config{})
	req := fillReq(base+"/foreign-next", s, map[string]string{"observations": "Observation?patient={{context.patientId}}"}, tokenA)
	req.Prefetch = map[string]json.RawMessage{"observations": page}
	res := fill(t, f, req)
	if d, ok := issue(res, "fetch-failed", "observations"); !ok || d.Detail != "partial: "+ReasonForeignNext || ct.count() != 0 {
		t.Fatalf("issues %+v, %d requests", res.Issues, ct.count())
	}
	if len(entries(t, res.Prefetch["observations"])) != 20 {
		t.Fatal("the sent entries were not kept")
	}
}

// TestHorizonEndsNewestFirstPaging: a newest-first search stops after the
// page whose results are all older than the horizon; without the sort, or
// without a horizon, it pages to the end.
func TestHorizonEndsNewestFirstPaging(t *testing.T) {
	base := fhirServer(t)
	s := kermit(t)
	all := len(s.byType["Observation"])
	// Kermit's observations fall on a few visit dates between 2011 and
	// 2019; a horizon in 2017 keeps the newer visits and the page that
	// crosses into older ones.
	horizon := time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)
	newer := 0
	for _, r := range s.byType["Observation"] {
		if t0, ok := latestInstant(r["effectiveDateTime"].(string)); ok && !t0.Before(horizon) {
			newer++
		}
	}
	if newer == 0 || newer >= 20 {
		t.Fatalf("%d observations after the horizon: the test needs between 1 and 19", newer)
	}
	for _, tc := range []struct {
		name, tmpl string
		horizon    time.Time
		requests   int
		entries    int
	}{
		{"newest first with a horizon", "Observation?patient={{context.patientId}}&_sort=-date", horizon, 2, 40},
		{"newest first without a horizon", "Observation?patient={{context.patientId}}&_sort=-date", time.Time{}, 3, all},
		{"unsorted with a horizon", "Observation?patient={{context.patientId}}", horizon, 3, all},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, ct, _ := newTestFetcher(t, Config{PageSize: 20})
			req := fillReq(base, s, map[string]string{"observations": tc.tmpl}, tokenA)
			req.Horizons = map[string]time.Time{"observations": tc.horizon}
			res := fill(t, f, req)
			got := entries(t, res.Prefetch["observations"])
			if ct.count() != tc.requests || len(got) != tc.entries || len(res.Issues) != 0 {
				t.Fatalf("%d requests, %d entries, issues %+v", ct.count(), len(got), res.Issues)
			}
			// Nothing newer than the horizon is ever left out.
			n := 0
			for _, r := range got {
				if t0, ok := latestInstant(r["effectiveDateTime"].(string)); ok && !t0.Before(horizon) {
					n++
				}
			}
			if n != newer {
				t.Fatalf("%d of %d results after the horizon", n, newer)
			}
		})
	}

	// A client's newest-first page is completed up to the horizon too.
	page := firstPage(t, base+"/fhir/Observation?patient="+s.patientID+"&_sort=-date&_count=10")
	f, ct, _ := newTestFetcher(t, Config{})
	req := fillReq(base, s, map[string]string{"observations": "Observation?patient={{context.patientId}}&_sort=-date"}, tokenA)
	req.Prefetch = map[string]json.RawMessage{"observations": page}
	req.Horizons = map[string]time.Time{"observations": horizon}
	res := fill(t, f, req)
	if len(res.Issues) != 0 || ct.count() >= (all-10+9)/10 {
		t.Fatalf("%d requests for the rest of %d results, issues %+v", ct.count(), all, res.Issues)
	}
}

// TestCompletePastDeadline: next pages that do not come within the
// deadline leave the client's page, reported as partial.
func TestCompletePastDeadline(t *testing.T) {
	base := fhirServer(t)
	s := kermit(t)
	page := firstPage(t, base+"/slowtype/Observation/1000/fhir/Observation?patient="+s.patientID+"&_count=20")
	f, _, _ := newTestFetcher(t, Config{Timeout: 300 * time.Millisecond})
	req := fillReq(base+"/slowtype/Observation/1000", s, map[string]string{"observations": "Observation?patient={{context.patientId}}"}, tokenA)
	req.Prefetch = map[string]json.RawMessage{"observations": page}
	res := fill(t, f, req)
	if d, ok := issue(res, "fetch-failed", "observations"); !ok || d.Detail != "partial: "+ReasonTimeout {
		t.Fatalf("issues %+v", res.Issues)
	}
	if got := entries(t, res.Prefetch["observations"]); len(got) != 20 {
		t.Fatalf("%d entries kept, want the client's 20", len(got))
	}
}
