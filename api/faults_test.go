package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/auth"
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/internal/hang"
	"github.com/labelguard/labelguard/store"
)

// hangingStore is a database that accepts connections and never answers:
// every call waits for its context. It records how much time the last
// feedback write was given.
type hangingStore struct {
	store.Store
	mu   sync.Mutex
	left time.Duration
}

func (h *hangingStore) InsertFeedback(ctx context.Context, _ []store.Feedback) (int, error) {
	d, ok := ctx.Deadline()
	h.mu.Lock()
	h.left = -1
	if ok {
		h.left = time.Until(d)
	}
	h.mu.Unlock()
	<-ctx.Done()
	return 0, ctx.Err()
}

func (h *hangingStore) Ping(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
func (h *hangingStore) Backend() string                { return "postgres" }

// TestFeedbackOnAHungDatabase: feedback that cannot be stored because the
// database does not answer gets 503 with Retry-After once FeedbackTimeout
// has passed, instead of waiting on the database.
func TestFeedbackOnAHungDatabase(t *testing.T) {
	t.Parallel()
	st := &hangingStore{}
	h, _ := newServer(t, func(c *api.Config) { c.Store = st; c.FeedbackTimeout = 50 * time.Millisecond })
	body := []byte(`{"feedback":[{"card":"c1","outcome":"overridden","outcomeTimestamp":"2026-11-23T10:00:00Z"}]}`)
	rec := hang.Within(t, "feedback on a hung database", func() *httpResult {
		return resultOf(do(t, h, http.MethodPost, "/cds-services/jak-order-sign/feedback", "application/json", body))
	})
	if rec.code != http.StatusServiceUnavailable || rec.header.Get("Retry-After") != fmt.Sprint(api.FeedbackRetryAfterSeconds) {
		t.Errorf("feedback on a hung database: %d, Retry-After %q; want 503 with Retry-After", rec.code, rec.header.Get("Retry-After"))
	}
	st.mu.Lock()
	left := st.left
	st.mu.Unlock()
	if left < 0 || left > 50*time.Millisecond {
		t.Errorf("the feedback write was given %v, want at most FeedbackTimeout", left)
	}
}

type httpResult struct {
	code   int
	header http.Header
	body   string
}

func resultOf(rec *httptest.ResponseRecorder) *httpResult {
	return &httpResult{code: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

// TestDrainTurnsReadinessOffAndKeepsServing: after Drain, /readyz says
// 503 at once (the load balancer stops sending calls) while hook calls are
// still answered.
func TestDrainTurnsReadinessOffAndKeepsServing(t *testing.T) {
	t.Parallel()
	srv := api.New(api.Config{AuthDisabled: true, Now: func() time.Time { return evalTime }, EvalTimeout: time.Minute},
		engine.NewActive(defaultPolicies(t)), nil)
	h := srv.Handler()
	if rec := do(t, h, http.MethodGet, "/readyz", "", nil); rec.Code != http.StatusOK {
		t.Fatalf("/readyz before draining: %d", rec.Code)
	}
	srv.Drain()
	rec := do(t, h, http.MethodGet, "/readyz", "", nil)
	var body struct{ Status string }
	if rec.Code != http.StatusServiceUnavailable || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Status != "draining" {
		t.Errorf("/readyz while draining: %d %s, want 503 draining", rec.Code, rec.Body)
	}
	if rec := do(t, h, http.MethodPost, "/cds-services/jak-order-sign", "application/json", requestFile(t, goldenCases[0])); rec.Code != http.StatusOK {
		t.Errorf("hook call while draining: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, h, http.MethodGet, "/healthz", "", nil); rec.Code != http.StatusOK {
		t.Errorf("/healthz while draining: %d", rec.Code)
	}
}

// fakeAuth authenticates "Bearer ehr" as an EHR and "Bearer tester" as a
// client flagged conformance in the trusted-issuers file.
type fakeAuth struct{}

func (fakeAuth) VerifyRequest(r *http.Request, _ string) (*auth.Principal, error) {
	switch r.Header.Get("Authorization") {
	case "Bearer ehr":
		return &auth.Principal{Issuer: "https://ehr.example"}, nil
	case "Bearer tester":
		return &auth.Principal{Issuer: "https://tester.example", Conformance: true}, nil
	}
	return nil, &auth.Error{Kind: auth.ErrNoToken}
}

// countingAuditor records the hookInstances offered to the audit.
type countingAuditor struct {
	mu  sync.Mutex
	ids []string
}

func (a *countingAuditor) Enqueue(d store.Decision) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ids = append(a.ids, d.HookInstance)
	return true
}

func (a *countingAuditor) audited() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.ids...)
}

// TestConformanceCallsKeptOutOfTheAudit: a call marked as a conformance
// tester's is answered as any other and not audited. With authentication
// only an issuer flagged in the trusted-issuers file marks it (the header
// from an EHR is ignored); without, the header does.
func TestConformanceCallsKeptOutOfTheAudit(t *testing.T) {
	t.Parallel()
	body := string(requestFile(t, goldenCases[0]))
	withInstance := func(id string) []byte {
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatal(err)
		}
		m["hookInstance"] = id
		b, _ := json.Marshal(m)
		return b
	}
	for _, tc := range []struct {
		name          string
		authOn        bool
		authorization string
		header        bool
		audited       bool
	}{
		{"auth off, no header", false, "", false, true},
		{"auth off, header", false, "", true, false},
		{"auth on, EHR", true, "Bearer ehr", false, true},
		{"auth on, EHR sending the header", true, "Bearer ehr", true, true},
		{"auth on, conformance issuer", true, "Bearer tester", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := &countingAuditor{}
			h, logs := newServer(t, func(c *api.Config) {
				c.Audit = a
				if tc.authOn {
					c.Auth, c.AuthDisabled = fakeAuth{}, false
				}
			})
			hdr := map[string]string{}
			if tc.authorization != "" {
				hdr["Authorization"] = tc.authorization
			}
			if tc.header {
				hdr[cdshooks.ConformanceHeader] = "true"
			}
			rec := confDo(t, h, confCall{path: "/cds-services/jak-order-sign", body: withInstance("conformance-case"), header: hdr})
			if rec.Code != http.StatusOK {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			got := a.audited()
			if tc.audited != (len(got) == 1) {
				t.Errorf("audited %v, want audited=%v", got, tc.audited)
			}
			if marked := strings.Contains(logs.String(), `"conformance":true`); marked == tc.audited {
				t.Errorf("request log marks conformance=%v, want %v:\n%s", marked, !tc.audited, logs)
			}
		})
	}
}

// TestCORSWithAuthentication: with authentication on, only the listed
// origins get CORS headers and "*" allows none; without, "*" allows any.
// A refused origin is logged once however often it calls, the memory of
// refused origins is bounded, and the service's own origin (the
// playground) is neither answered with CORS nor logged.
func TestCORSWithAuthentication(t *testing.T) {
	t.Parallel()
	preflight := func(h http.Handler, origin string) *httpResult {
		return resultOf(confDo(t, h, confCall{method: http.MethodOptions, path: "/cds-services/jak-order-sign",
			header: map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"}}))
	}
	get := func(h http.Handler, origin string) *httpResult {
		return resultOf(confDo(t, h, confCall{method: http.MethodGet, path: "/cds-services", header: map[string]string{"Origin": origin}}))
	}
	authOn := func(origins ...string) func(*api.Config) {
		return func(c *api.Config) { c.Auth, c.AuthDisabled, c.CORSOrigins = fakeAuth{}, false, origins }
	}

	star, logs := newServer(t, authOn("*"))
	for _, r := range []*httpResult{preflight(star, "https://ehr.example"), get(star, "https://ehr.example")} {
		if v := r.header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf(`auth on with "*": Access-Control-Allow-Origin %q`, v)
		}
	}
	if !strings.Contains(logs.String(), `CORS origin \"*\" ignored`) {
		t.Errorf("ignoring * with authentication on was not logged:\n%s", logs)
	}

	listed, logs := newServer(t, authOn("https://ehr.example"))
	if r := preflight(listed, "https://ehr.example"); r.code != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != "https://ehr.example" {
		t.Errorf("listed origin: %d %v", r.code, r.header)
	}
	for range 3 {
		if r := get(listed, "https://evil.example"); r.header.Get("Access-Control-Allow-Origin") != "" || r.code != http.StatusOK {
			t.Errorf("unlisted origin: %d %v", r.code, r.header)
		}
	}
	if r := preflight(listed, "https://evil.example"); r.code != http.StatusForbidden || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("unlisted origin's preflight: %d %v", r.code, r.header)
	}
	if n := strings.Count(logs.String(), "CORS origin refused"); n != 1 || !strings.Contains(logs.String(), `"origin":"https://evil.example"`) {
		t.Errorf("an origin refused four times was logged %d times (want once, naming it):\n%s", n, logs)
	}
	// The service's own origin: no CORS, no log line.
	self := resultOf(confDo(t, listed, confCall{method: http.MethodGet, path: "/cds-services",
		header: map[string]string{"Origin": "http://example.com"}}))
	if self.header.Get("Access-Control-Allow-Origin") != "" || strings.Contains(logs.String(), "http://example.com") {
		t.Errorf("same-origin request got CORS headers or was logged: %v\n%s", self.header, logs)
	}

	// Many distinct origins: memory and log lines are bounded.
	for i := range 1000 {
		get(listed, fmt.Sprintf("https://o%d.example", i))
	}
	if n := strings.Count(logs.String(), "CORS origin refused"); n > 300 {
		t.Errorf("%d refused origins logged one by one, want a bound", n)
	}
	if !strings.Contains(logs.String(), "further refused origins are not logged") {
		t.Error("reaching the bound was not logged")
	}

	off, _ := newServer(t, func(c *api.Config) { c.CORSOrigins = []string{"*"} })
	if r := preflight(off, "https://anything.example"); r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf(`auth off with "*": %v`, r.header)
	}
}
