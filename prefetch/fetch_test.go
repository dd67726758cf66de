package prefetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labelguard/labelguard/internal/hang"
)

// These tests use httptest servers where the test needs to see or shape the
// exchange itself (request counts, headers, redirects, foreign links,
// concurrency). FHIR semantics are tested against the real server in
// fhirserver_test.go.

const secret = "s3cr3t-token-value"

// pagedHandler answers any search with pages of n Observations of
// perPage each, linking pages with next links built by link.
func pagedHandler(n, perPage int, link func(r *http.Request, offset int) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		off, _ := strconv.Atoi(r.URL.Query().Get("_offset"))
		var es []string
		for i := off; i < n && i < off+perPage; i++ {
			es = append(es, fmt.Sprintf(`{"resource":{"resourceType":"Observation","id":"o%d","status":"final","subject":{"reference":"Patient/p1"}}}`, i))
		}
		links := ""
		if off+perPage < n {
			links = fmt.Sprintf(`,"link":[{"relation":"next","url":%q}]`, link(r, off+perPage))
		}
		w.Header().Set("Content-Type", "application/fhir+json")
		fmt.Fprintf(w, `{"resourceType":"Bundle","type":"searchset","total":%d,"entry":[%s]%s}`, n, strings.Join(es, ","), links)
	}
}

func sameServerLink(srv **httptest.Server) func(*http.Request, int) string {
	return func(r *http.Request, off int) string {
		q := r.URL.Query()
		q.Set("_offset", strconv.Itoa(off))
		return (*srv).URL + r.URL.Path + "?" + q.Encode()
	}
}

func fill(t testing.TB, f *Fetcher, req FillRequest) Result {
	t.Helper()
	res, err := f.Fill(context.Background(), req)
	if err != nil {
		t.Fatalf("Fill: %v", err)
	}
	return res
}

func TestNotAllowedSendsNothing(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	for name, allowed := range map[string]func(string) bool{
		"hook says no": func(string) bool { return false },
		"nil hook":     nil,
	} {
		t.Run(name, func(t *testing.T) {
			logs := &syncBuffer{}
			f := NewFetcher(Config{Allowed: allowed, Logger: slogTo(logs)})
			res := fill(t, f, FillRequest{
				FHIRServer: srv.URL + "/fhir", Authorization: auth(secret, ""), PatientID: "p1",
				Tokens:    Tokens{Context: map[string]string{"patientId": "p1"}},
				Templates: map[string]string{"patient": "Patient/{{context.patientId}}", "conditions": "Condition?patient={{context.patientId}}"},
			})
			if hits.Load() != 0 {
				t.Fatalf("%d requests reached a server that is not allowed", hits.Load())
			}
			for _, k := range []string{"patient", "conditions"} {
				if d, ok := issue(res, "fetch-failed", k); !ok || d.Detail != ReasonNotAllowed {
					t.Errorf("issue for %s = %+v, %v", k, d, ok)
				}
			}
			if len(res.Prefetch) != 0 || len(res.Fetched) != 0 {
				t.Errorf("result = %+v", res)
			}
			if !strings.Contains(logs.String(), "not allowed") || strings.Contains(logs.String(), secret) {
				t.Errorf("logs = %s", logs)
			}
		})
	}
}

func TestNoServerAndBadServer(t *testing.T) {
	f, ct, _ := newTestFetcher(t, Config{})
	req := FillRequest{PatientID: "p1", Tokens: Tokens{Context: map[string]string{"patientId": "p1"}},
		Templates: map[string]string{"patient": "Patient/{{context.patientId}}"}}
	res := fill(t, f, req)
	if d, ok := issue(res, "fetch-failed", "patient"); !ok || d.Detail != ReasonNoServer {
		t.Fatalf("issues = %+v", res.Issues)
	}
	for _, bad := range []string{"ftp://x/fhir", "http://user:pw@host/fhir", "/relative", "http://host/fhir?x=1"} {
		req.FHIRServer = bad
		res = fill(t, f, req)
		if d, ok := issue(res, "fetch-failed", "patient"); !ok || d.Detail != ReasonNotAllowed {
			t.Errorf("%s: issues = %+v", bad, res.Issues)
		}
	}
	if ct.count() != 0 {
		t.Fatalf("%d requests sent", ct.count())
	}
}

func TestNullAndPresentKeysAreNotFetched(t *testing.T) {
	f, ct, _ := newTestFetcher(t, Config{})
	client := map[string]json.RawMessage{"patient": json.RawMessage(`{"resourceType":"Patient","id":"p1"}`), "conditions": json.RawMessage("null")}
	res := fill(t, f, FillRequest{
		FHIRServer: "http://127.0.0.1:1/fhir", PatientID: "p1", Tokens: Tokens{Context: map[string]string{"patientId": "p1"}},
		Templates: map[string]string{"patient": "Patient/{{context.patientId}}", "conditions": "Condition?patient={{context.patientId}}"},
		Prefetch:  client,
	})
	if ct.count() != 0 || len(res.Issues) != 0 || len(res.Fetched) != 0 {
		t.Fatalf("requests=%d result=%+v", ct.count(), res)
	}
	if string(res.Prefetch["conditions"]) != "null" || string(res.Prefetch["patient"]) != string(client["patient"]) {
		t.Fatalf("prefetch = %v", res.Prefetch)
	}
	res.Prefetch["x"] = nil
	if _, ok := client["x"]; ok {
		t.Fatal("Fill returned the caller's map")
	}
}

func TestPatientScopeMismatch(t *testing.T) {
	f, ct, logs := newTestFetcher(t, Config{})
	req := FillRequest{FHIRServer: "http://127.0.0.1:1/fhir", PatientID: "p1", Authorization: auth(secret, "Patient/p2"),
		Tokens: Tokens{Context: map[string]string{"patientId": "p1"}}, Templates: map[string]string{"patient": "Patient/{{context.patientId}}"}}
	res, err := f.Fill(context.Background(), req)
	if !errors.Is(err, ErrPatientScopeMismatch) || ct.count() != 0 || len(res.Fetched) != 0 {
		t.Fatalf("err=%v requests=%d res=%+v", err, ct.count(), res)
	}
	if strings.Contains(logs.String(), secret) || strings.Contains(err.Error(), "p2") {
		t.Fatalf("leak: %s %v", logs, err)
	}
	// "Patient/p1" and "p1" are the same patient: no refusal (the fetch
	// then fails on the closed port, which is beside the point here).
	req.Authorization = auth(secret, "Patient/p1")
	if _, err := f.Fill(context.Background(), req); err != nil {
		t.Fatalf("matching scope refused: %v", err)
	}
}

func TestHeadersAndMerge(t *testing.T) {
	var srv *httptest.Server
	var gotAuth, gotAccept atomic.Value
	inner := pagedHandler(7, 3, sameServerLink(&srv))
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth.Store(r.Header.Get("Authorization"))
		gotAccept.Store(r.Header.Get("Accept"))
		inner(w, r)
	}))
	defer srv.Close()
	f, ct, _ := newTestFetcher(t, Config{PageSize: 3})
	req := FillRequest{FHIRServer: srv.URL + "/fhir/", Authorization: auth(secret, ""), PatientID: "p1",
		Tokens: Tokens{Context: map[string]string{"patientId": "p1"}}, Templates: map[string]string{"obs": "Observation?patient={{context.patientId}}"}}
	res := fill(t, f, req)
	if got := entries(t, res.Prefetch["obs"]); len(got) != 7 || ct.count() != 3 {
		t.Fatalf("entries=%d requests=%d", len(got), ct.count())
	}
	if gotAuth.Load() != "Bearer "+secret || gotAccept.Load() != "application/fhir+json" {
		t.Fatalf("headers: %v %v", gotAuth.Load(), gotAccept.Load())
	}
	if ct.paths[0] != "/fhir/Observation?patient=p1&_count=3" {
		t.Fatalf("first request %s", ct.paths[0])
	}
	// Without fhirAuthorization, no Authorization header at all.
	req.Authorization = nil
	fill(t, f, req)
	if gotAuth.Load() != "" {
		t.Fatalf("Authorization sent without a token: %v", gotAuth.Load())
	}
}

func TestPagingCapped(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(pagedHandler(100, 10, sameServerLink(&srv)))
	defer srv.Close()
	f, ct, _ := newTestFetcher(t, Config{MaxPages: 3})
	res := fill(t, f, FillRequest{FHIRServer: srv.URL, Tokens: Tokens{Context: map[string]string{"patientId": "p1"}},
		Templates: map[string]string{"obs": "Observation?patient={{context.patientId}}"}})
	d, ok := issue(res, "paging-capped", "obs")
	if !ok || d.Count != 30 || ct.count() != 3 || len(entries(t, res.Prefetch["obs"])) != 30 {
		t.Fatalf("issue=%+v requests=%d", d, ct.count())
	}
	if _, failed := issue(res, "fetch-failed", "obs"); failed {
		t.Fatal("capping is not a failure")
	}
	// The capped result is cached with its flag.
	res = fill(t, f, FillRequest{FHIRServer: srv.URL, Tokens: Tokens{Context: map[string]string{"patientId": "p1"}},
		Templates: map[string]string{"obs": "Observation?patient={{context.patientId}}"}})
	if _, ok := issue(res, "paging-capped", "obs"); !ok || ct.count() != 3 || len(res.FromCache) != 1 {
		t.Fatalf("cached capped result: %+v, requests=%d", res, ct.count())
	}
}

func TestForeignNextLinkRefused(t *testing.T) {
	var foreignHits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { foreignHits.Add(1) }))
	defer foreign.Close()
	links := map[string]func(*http.Request, int) string{
		"other host": func(r *http.Request, off int) string {
			return foreign.URL + r.URL.Path + "?_offset=" + strconv.Itoa(off)
		},
		"outside the base": nil, // set below: same host, another path
		"credentials":      nil,
	}
	for name, link := range links {
		t.Run(name, func(t *testing.T) {
			var srv *httptest.Server
			switch name {
			case "outside the base":
				link = func(*http.Request, int) string { return srv.URL + "/admin/Observation?_offset=2" }
			case "credentials":
				link = func(*http.Request, int) string {
					return strings.Replace(srv.URL, "http://", "http://u:p@", 1) + "/fhir/Observation?_offset=2"
				}
			}
			srv = httptest.NewServer(pagedHandler(4, 2, link))
			defer srv.Close()
			f, ct, logs := newTestFetcher(t, Config{})
			res := fill(t, f, FillRequest{FHIRServer: srv.URL + "/fhir", Authorization: auth(secret, ""),
				Tokens: Tokens{Context: map[string]string{"patientId": "p1"}}, Templates: map[string]string{"obs": "Observation?patient={{context.patientId}}"}})
			if foreignHits.Load() != 0 || ct.count() != 1 {
				t.Fatalf("foreign hits=%d requests=%d", foreignHits.Load(), ct.count())
			}
			d, ok := issue(res, "fetch-failed", "obs")
			if !ok || d.Detail != "partial: "+ReasonForeignNext || len(entries(t, res.Prefetch["obs"])) != 2 {
				t.Fatalf("issue=%+v", res.Issues)
			}
			if strings.Contains(logs.String(), secret) {
				t.Fatal("token logged")
			}
		})
	}
}

func TestRedirectConfined(t *testing.T) {
	var foreignHits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { foreignHits.Add(1) }))
	defer foreign.Close()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fhir/Patient/away":
			http.Redirect(w, r, foreign.URL+"/fhir/Patient/away", http.StatusFound)
		case "/fhir/Patient/moved":
			http.Redirect(w, r, "/fhir/Patient/p1", http.StatusMovedPermanently)
		default:
			fmt.Fprint(w, `{"resourceType":"Patient","id":"p1"}`)
		}
	}))
	defer srv.Close()
	f, _, _ := newTestFetcher(t, Config{})
	res := fill(t, f, FillRequest{FHIRServer: srv.URL + "/fhir", Authorization: auth(secret, ""),
		Templates: map[string]string{"away": "Patient/away", "moved": "Patient/moved"}})
	if foreignHits.Load() != 0 {
		t.Fatal("redirect followed to another host")
	}
	if d, ok := issue(res, "fetch-failed", "away"); !ok || d.Detail != ReasonForeignNext {
		t.Fatalf("issues = %+v", res.Issues)
	}
	// A redirect on the same server is followed; the read then returns
	// another id than the one asked for, which is refused as malformed.
	if d, ok := issue(res, "fetch-failed", "moved"); !ok || d.Detail != ReasonMalformed {
		t.Fatalf("issues = %+v", res.Issues)
	}
}

func TestResponseClassification(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/Patient/p1":
			fmt.Fprint(w, `{"resourceType":"Patient","id":"p1"}`)
		case "/Patient/other":
			fmt.Fprint(w, `{"resourceType":"Patient","id":"someone-else"}`)
		case "/Patient/oo", "/Condition":
			fmt.Fprint(w, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"too-costly"}]}`)
		case "/Observation":
			fmt.Fprint(w, `{"resourceType":"Patient","id":"p1"}`)
		case "/Immunization":
			fmt.Fprint(w, `[1,2]`)
		case "/AllergyIntolerance":
			fmt.Fprint(w, `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"AllergyIntolerance","id":"a"}}]}`)
		case "/MedicationRequest":
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"resourceType":"OperationOutcome","issue":[{"diagnostics":"token %s lacks scope"}]}`, r.Header.Get("Authorization"))
		case "/MedicationStatement":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/Encounter":
			w.WriteHeader(http.StatusGone)
		case "/Procedure":
			fmt.Fprint(w, `{"resourceType":"Bundle","entry":[`+strings.Repeat(" ", 2000)+`]}`)
		}
	}))
	defer srv.Close()
	f, _, logs := newTestFetcher(t, Config{MaxBodyBytes: 1000})
	res := fill(t, f, FillRequest{FHIRServer: srv.URL, Authorization: auth(secret, ""), Templates: map[string]string{
		"patient": "Patient/p1", "other": "Patient/other", "oo": "Patient/oo", "conditions": "Condition",
		"observations": "Observation", "immunizations": "Immunization", "allergies": "AllergyIntolerance",
		"medications": "MedicationRequest", "statements": "MedicationStatement", "gone": "Encounter", "big": "Procedure",
	}})
	want := map[string]string{"other": ReasonMalformed, "oo": ReasonOperationOutcome, "conditions": ReasonOperationOutcome,
		"observations": ReasonMalformed, "immunizations": ReasonMalformed, "medications": ReasonForbidden,
		"statements": ReasonServerError, "gone": "http-410", "big": ReasonTooLarge}
	for k, reason := range want {
		if d, ok := issue(res, "fetch-failed", k); !ok || d.Detail != reason {
			t.Errorf("%s: issue %+v, want %s", k, d, reason)
		}
		if _, ok := res.Prefetch[k]; ok {
			t.Errorf("%s: failed key present in the prefetch", k)
		}
	}
	if string(res.Prefetch["patient"]) != `{"resourceType":"Patient","id":"p1"}` {
		t.Errorf("patient = %s", res.Prefetch["patient"])
	}
	// A Bundle without type is tolerated and becomes a searchset.
	if got := entries(t, res.Prefetch["allergies"]); len(got) != 1 {
		t.Errorf("allergies = %s", res.Prefetch["allergies"])
	}
	if len(res.Fetched) != 2 || len(res.Issues) != len(want) {
		t.Errorf("fetched=%v issues=%+v", res.Fetched, res.Issues)
	}
	if out := logs.String() + fmt.Sprintf("%+v %#v", res, res); strings.Contains(out, secret) {
		t.Fatalf("token leaked: %s", out)
	}
}

// TestDeadlineAndConcurrency: a key whose server never answers is
// reported as timed out when the fill's deadline ends, while the other
// keys, two at a time, are fetched. The slow server answers only when the
// request is cancelled, so the fill returning at all shows the deadline
// works; the deadline is long enough for the other keys on a busy machine.
func TestDeadlineAndConcurrency(t *testing.T) {
	var inFlight, maxInFlight atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		if r.URL.Path == "/Observation" {
			<-r.Context().Done()
		} else {
			time.Sleep(20 * time.Millisecond)
		}
		fmt.Fprint(w, `{"resourceType":"Bundle","type":"searchset"}`)
	}))
	defer srv.Close()
	f, _, _ := newTestFetcher(t, Config{Concurrency: 2, Timeout: 2 * time.Second})
	tmpl := map[string]string{"obs": "Observation"}
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		tmpl[k] = "Condition?k=" + k
	}
	res := hang.Within(t, "Fill with a server that never answers", func() Result {
		return fill(t, f, FillRequest{FHIRServer: srv.URL, Templates: tmpl})
	})
	if d, ok := issue(res, "fetch-failed", "obs"); !ok || d.Detail != ReasonTimeout {
		t.Fatalf("issues = %+v", res.Issues)
	}
	if len(res.Fetched) != 5 {
		t.Fatalf("fetched = %v, issues = %+v", res.Fetched, res.Issues)
	}
	if maxInFlight.Load() > 2 {
		t.Fatalf("%d requests in flight, limit 2", maxInFlight.Load())
	}
	// The caller giving up is "canceled", not "timeout".
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, _ = f.Fill(ctx, FillRequest{FHIRServer: srv.URL, Templates: map[string]string{"obs": "Observation?x=1"}})
	if d, ok := issue(res, "fetch-failed", "obs"); !ok || d.Detail != ReasonCanceled {
		t.Fatalf("issues = %+v", res.Issues)
	}
}

func TestCache(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(pagedHandler(3, 10, sameServerLink(&srv)))
	defer srv.Close()
	f, ct, _ := newTestFetcher(t, Config{})
	now := time.Unix(1_700_000_000, 0)
	f.now = func() time.Time { return now }
	req := func(token, patient string) FillRequest {
		return FillRequest{FHIRServer: srv.URL, Authorization: auth(token, ""), PatientID: patient,
			Tokens:    Tokens{Context: map[string]string{"patientId": patient}},
			Templates: map[string]string{"obs": "Observation?patient={{context.patientId}}"}}
	}
	first := fill(t, f, req("t1", "p1"))
	if ct.count() != 1 || len(first.FromCache) != 0 {
		t.Fatalf("requests=%d", ct.count())
	}
	second := fill(t, f, req("t1", "p1"))
	if ct.count() != 1 || len(second.FromCache) != 1 || string(second.Prefetch["obs"]) != string(first.Prefetch["obs"]) {
		t.Fatalf("cache miss: requests=%d", ct.count())
	}
	fill(t, f, req("t2", "p1")) // another token never reuses data
	fill(t, f, req("t1", "p2")) // another patient is another query
	if ct.count() != 3 {
		t.Fatalf("requests=%d, want 3", ct.count())
	}
	now = now.Add(DefaultCacheTTL)
	fill(t, f, req("t1", "p1"))
	if ct.count() != 4 {
		t.Fatalf("expired entry reused: requests=%d", ct.count())
	}

	// Errors are not cached.
	var fail atomic.Bool
	fail.Store(true)
	errSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		fmt.Fprint(w, `{"resourceType":"Bundle","type":"searchset"}`)
	}))
	defer errSrv.Close()
	ct.reset()
	r := req("t1", "p1")
	r.FHIRServer = errSrv.URL
	if res := fill(t, f, r); len(res.Fetched) != 0 {
		t.Fatalf("res = %+v", res)
	}
	fail.Store(false)
	if res := fill(t, f, r); len(res.Fetched) != 1 || ct.count() != 2 {
		t.Fatalf("error was cached: res=%+v requests=%d", res, ct.count())
	}
}

func TestCacheDisabled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"resourceType":"Bundle","type":"searchset"}`)
	}))
	defer srv.Close()
	f, ct, _ := newTestFetcher(t, Config{CacheTTL: -1})
	for range 2 {
		fill(t, f, FillRequest{FHIRServer: srv.URL, Templates: map[string]string{"c": "Condition"}})
	}
	if ct.count() != 2 {
		t.Fatalf("requests=%d", ct.count())
	}
}

func TestLRUBounds(t *testing.T) {
	now := time.Unix(0, 0)
	c := newLRU(time.Minute, 2, 10, func() time.Time { return now })
	k := func(q string) cacheKey { return cacheKey{server: "s", query: q} }
	c.put(cacheEntry{key: k("a"), value: json.RawMessage("1234")})
	c.put(cacheEntry{key: k("b"), value: json.RawMessage("1234")})
	c.get(k("a")) // a is now the most recent
	c.put(cacheEntry{key: k("c"), value: json.RawMessage("12")})
	if _, ok := c.get(k("b")); ok || c.len() != 2 {
		t.Fatalf("least recently used entry kept; len=%d", c.len())
	}
	c.put(cacheEntry{key: k("d"), value: json.RawMessage("123456789")}) // 9 bytes: evicts both
	if c.len() != 1 || c.bytes != 9 {
		t.Fatalf("len=%d bytes=%d", c.len(), c.bytes)
	}
	c.put(cacheEntry{key: k("e"), value: json.RawMessage("12345678901")}) // larger than the cache
	if _, ok := c.get(k("e")); ok || c.len() != 1 {
		t.Fatal("oversized entry cached")
	}
}

func TestWithPageSize(t *testing.T) {
	f := NewFetcher(Config{PageSize: 50})
	for in, want := range map[string]string{
		"Patient/1":                      "Patient/1",
		"Condition":                      "Condition?_count=50",
		"Condition?patient=1":            "Condition?patient=1&_count=50",
		"Condition?patient=1&_count=5":   "Condition?patient=1&_count=5",
		"Patient/1/$everything":          "Patient/1/$everything",
		"Observation?x_count=1":          "Observation?x_count=1&_count=50",
		"Observation?_count=2&patient=1": "Observation?_count=2&patient=1",
	} {
		if got := f.withPageSize(in); got != want {
			t.Errorf("withPageSize(%q) = %q, want %q", in, got, want)
		}
	}
	if got := NewFetcher(Config{PageSize: -1}).withPageSize("Condition"); got != "Condition" {
		t.Errorf("PageSize -1 added _count: %q", got)
	}
}

func TestRenderFailureAndEscapingTemplate(t *testing.T) {
	f, ct, _ := newTestFetcher(t, Config{})
	res := fill(t, f, FillRequest{FHIRServer: "http://127.0.0.1:1/fhir", Templates: map[string]string{
		"user": "Practitioner/{{userPractitionerId}}", "up": "../admin", "abs": "//evil.example/x"}})
	for _, k := range []string{"user", "up"} {
		if d, ok := issue(res, "fetch-failed", k); !ok || d.Detail != ReasonRender {
			t.Errorf("%s: issues = %+v", k, res.Issues)
		}
	}
	// A template that looks like a URL of its own is still a path on the
	// FHIR server (here: a closed port), never a request to evil.example.
	if ct.count() != 1 || ct.hosts[0] != "127.0.0.1:1" {
		t.Fatalf("requests to %v", ct.hosts)
	}
}

func TestInvalidToken(t *testing.T) {
	f, ct, _ := newTestFetcher(t, Config{})
	res := fill(t, f, FillRequest{FHIRServer: "http://127.0.0.1:1/fhir", Authorization: auth("a\r\nX-Injected: 1", ""),
		Templates: map[string]string{"c": "Condition"}})
	if d, ok := issue(res, "fetch-failed", "c"); !ok || d.Detail != ReasonInvalidToken || ct.count() != 0 {
		t.Fatalf("issues=%+v requests=%d", res.Issues, ct.count())
	}
}
