package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/auth"
	"github.com/labelguard/labelguard/metrics"
	"github.com/labelguard/labelguard/prefetch"
)

// TestHookCallsBeyondCapacityAreRefusedFast: with every slot busy (here
// one call waiting on a slow FHIR server), another call waits at most the
// queue wait and gets 503 overloaded with Retry-After; once the slot is
// free, calls are answered again, and the refusal is counted.
func TestHookCallsBeyondCapacityAreRefusedFast(t *testing.T) {
	release := make(chan struct{})
	fake := &confFHIR{}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		fake.ServeHTTP(w, r)
	}))
	defer slow.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	base := slow.URL + "/fhir"
	m := metrics.New()
	h := confServer(t, func(c *api.Config) {
		c.FHIRAllow = []string{base}
		c.Fetcher = prefetch.NewFetcher(prefetch.Config{Timeout: 30 * time.Second, CacheTTL: -1})
		c.Metrics = m
		c.MaxConcurrentCalls = 1
		c.QueueWait = 20 * time.Millisecond
	})

	// The first call has no prefetch: it fetches, and waits on the server.
	fetching := confMinimalOrder("order-sign", "h-slow", "upadacitinib 15 MG Extended Release Oral Tablet", "draft")
	fetching["context"].(map[string]any)["patientId"] = "Patient/p-7"
	delete(fetching, "prefetch")
	fetching["fhirServer"] = base
	fetching["fhirAuthorization"] = map[string]any{"access_token": "t", "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read", "subject": "s"}
	first := make(chan *httptest.ResponseRecorder, 1)
	go func() { first <- confPost(t, h, "/cds-services/jak-order-sign", confJSON(t, fetching)) }()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(scrape(t, h), "labelguard_hook_calls_in_flight 1"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first call never took its slot")
		}
	}

	body := readFile(t, "testdata/requests/upadacitinib-45mg-low-anc.json")
	rec := confPost(t, h, "/cds-services/jak-order-sign", body)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("call beyond capacity = %d %s, want 503", rec.Code, rec.Body)
	}
	if rec.Header().Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q, want 1", rec.Header().Get("Retry-After"))
	}
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code != "overloaded" {
		t.Errorf("error body %s (%v), want code overloaded", rec.Body, err)
	}

	close(release)
	if rec := <-first; rec.Code != http.StatusOK {
		t.Fatalf("the call holding the slot = %d %s", rec.Code, rec.Body)
	}
	if rec := confPost(t, h, "/cds-services/jak-order-sign", body); rec.Code != http.StatusOK {
		t.Fatalf("call after the slot was freed = %d %s", rec.Code, rec.Body)
	}
	got := scrape(t, h)
	for _, want := range []string{"labelguard_hook_calls_shed_total 1", "labelguard_hook_calls_in_flight 0"} {
		if !strings.Contains(got, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}

// blockingAuth accepts every call, and holds the first one's signature
// check until released, taking its turn from the gate as *auth.Verifier
// does.
type blockingAuth struct {
	calls   atomic.Int32
	started chan struct{}
	release chan struct{}
}

func (a *blockingAuth) VerifyRequest(r *http.Request, _ string) (*auth.Principal, error) {
	done, err := auth.AcquireGate(r.Context())
	if err != nil {
		return nil, err
	}
	defer done()
	if a.calls.Add(1) == 1 {
		close(a.started)
		<-a.release
	}
	return &auth.Principal{Issuer: "https://ehr.test", JTI: "j"}, nil
}

// TestJWTVerificationBeyondCapacityIsRefusedFast: JWT signature checks
// have a bound of their own. With its only slot held by a check, another
// call is refused with 503 overloaded and Retry-After within the queue
// wait, before its signature is checked; the evaluation slot stays free
// (a verified call does not hold it), and once the verification ends both
// kinds of call are answered and the refusal is counted.
func TestJWTVerificationBeyondCapacityIsRefusedFast(t *testing.T) {
	a := &blockingAuth{started: make(chan struct{}), release: make(chan struct{})}
	m := metrics.New()
	h := confServer(t, func(c *api.Config) {
		c.AuthDisabled = false
		c.Auth = a
		c.Metrics = m
		c.MaxConcurrentCalls = 1
		c.QueueWait = 20 * time.Millisecond
	})
	body := readFile(t, "testdata/requests/upadacitinib-45mg-low-anc.json")
	first := make(chan *httptest.ResponseRecorder, 1)
	go func() { first <- confPost(t, h, "/cds-services/jak-order-sign", body) }()
	select {
	case <-a.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the first call never reached its signature check")
	}
	if got := scrape(t, h); !strings.Contains(got, "labelguard_hook_calls_in_flight 0") {
		t.Errorf("a call in verification holds an evaluation slot:\n%s", got)
	}
	for _, path := range []string{"/cds-services/jak-order-sign", "/cds-services/jak-order-sign/feedback"} {
		rec := confPost(t, h, path, body)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" || !strings.Contains(rec.Body.String(), `"overloaded"`) {
			t.Errorf("%s while the verification slot is held = %d %q %s, want 503 overloaded with Retry-After 1",
				path, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
	}
	close(a.release)
	if rec := <-first; rec.Code != http.StatusOK {
		t.Fatalf("the call holding the slot = %d %s", rec.Code, rec.Body)
	}
	if rec := confPost(t, h, "/cds-services/jak-order-sign", body); rec.Code != http.StatusOK {
		t.Fatalf("call after the slot was freed = %d %s", rec.Code, rec.Body)
	}
	if got := scrape(t, h); !strings.Contains(got, "labelguard_hook_calls_shed_total 2") {
		t.Errorf("/metrics does not count the 2 refusals:\n%s", got)
	}
}
