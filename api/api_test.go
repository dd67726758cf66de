package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
)

var update = flag.Bool("update", false, "rewrite golden files and generated requests")

// evalTime is the fixed evaluation clock of the handler tests.
var evalTime = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

var (
	loadOnce  sync.Once
	defaultPS *engine.PolicySet
	loadErr   error
)

func defaultPolicies(t testing.TB) *engine.PolicySet {
	t.Helper()
	loadOnce.Do(func() {
		// A fixed revision keeps the golden files stable across policy edits
		// that do not change what a clinician sees.
		defaultPS, loadErr = engine.Load(context.Background(), policies.FS, engine.Options{Revision: "test-revision"})
	})
	if loadErr != nil {
		t.Fatalf("load default policies: %v", loadErr)
	}
	return defaultPS
}

// lockedBuffer collects log output from concurrent handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newServer(t testing.TB, mut func(*api.Config)) (http.Handler, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	cfg := api.Config{
		MaxBodyBytes: 2 << 20,
		CORSOrigins:  []string{"https://sandbox.cds-hooks.org"},
		AuthDisabled: true,
		Now:          func() time.Time { return evalTime },
		// A busy machine must not turn a test into a deadline test.
		EvalTimeout: time.Minute,
	}
	if mut != nil {
		mut(&cfg)
	}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return api.New(cfg, engine.NewActive(defaultPolicies(t)), log).Handler(), logs
}

func do(t testing.TB, h http.Handler, method, path, contentType string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	h, _ := newServer(t, nil)
	rec := do(t, h, http.MethodGet, "/cds-services", "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var d cdshooks.Discovery
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("discovery does not validate: %v", err)
	}
	want := map[string]string{"jak-order-select": "order-select", "jak-order-sign": "order-sign"}
	got := map[string]string{}
	for _, s := range d.Services {
		got[s.ID] = s.Hook
		if s.Title == "" || s.Description == "" || s.Prefetch["patient"] != "Patient/{{context.patientId}}" {
			t.Errorf("service %s lacks title, description or the patient prefetch: %+v", s.ID, s)
		}
	}
	for id, hook := range want {
		if got[id] != hook {
			t.Errorf("service %s: hook %q, want %q", id, got[id], hook)
		}
	}
	if strings.Contains(rec.Body.String(), "query") {
		t.Error("discovery leaks the internal Rego query")
	}
}

// TestSpecExamples runs the hook library's own order-select and order-sign
// contexts (amoxicillin and a diet: nothing for labelguard to say).
func TestSpecExamples(t *testing.T) {
	t.Parallel()
	h, _ := newServer(t, nil)
	for _, tc := range []struct{ file, service, hook string }{
		{"order-sign-context-r4.json", "jak-order-sign", "order-sign"},
		{"order-select-context-r4.json", "jak-order-select", "order-select"},
		{"order-sign-context-stu3.json", "jak-order-sign", "order-sign"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var ctx map[string]json.RawMessage
			if err := json.Unmarshal(readFile(t, filepath.Join("testdata", "spec", tc.file)), &ctx); err != nil {
				t.Fatal(err)
			}
			body, _ := json.Marshal(map[string]any{
				"hook": tc.hook, "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "context": ctx["context"],
			})
			rec := do(t, h, http.MethodPost, "/cds-services/"+tc.service, "application/json", body)
			if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"cards":[]}` {
				t.Errorf("got %d %s, want 200 {\"cards\":[]}", rec.Code, rec.Body)
			}
		})
	}
}

func TestGoldenResponses(t *testing.T) {
	t.Parallel()
	h, _ := newServer(t, nil)
	for _, gc := range goldenCases {
		t.Run(gc.name, func(t *testing.T) {
			body := requestFile(t, gc)
			service := "jak-" + gc.hook
			rec := do(t, h, http.MethodPost, "/cds-services/"+service, "application/json", body)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var resp cdshooks.Response
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatal(err)
			}
			if err := resp.Validate(); err != nil {
				t.Errorf("response does not validate: %v", err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, rec.Body.Bytes(), "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", "golden", gc.name+".response.json")
			if *update {
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := readFile(t, path)
			if !bytes.Equal(want, pretty.Bytes()) {
				t.Errorf("response differs from %s (review, then -update):\n%s", path, pretty.String())
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	h, logs := newServer(t, func(c *api.Config) { c.MaxBodyBytes = 64 << 10; c.MaxResources = 500 })
	var drafts []string
	for i := range 51 {
		drafts = append(drafts, fmt.Sprintf(`{"resource":{"resourceType":"MedicationRequest","id":"m%d","status":"draft","intent":"order"}}`, i))
	}
	manyDrafts := `{"hook":"order-sign","hookInstance":"abc","context":{"userId":"Practitioner/1","patientId":"p1","draftOrders":{"resourceType":"Bundle","entry":[` + strings.Join(drafts, ",") + `]}}}`
	manyResources := `{"hook":"order-sign","hookInstance":"abc","context":{"userId":"Practitioner/1","patientId":"p1","draftOrders":{"resourceType":"Bundle","entry":[]}},"prefetch":{"observations":[` +
		strings.TrimSuffix(strings.Repeat(`{"resourceType":"Observation"},`, 600), ",") + `]}}`
	valid := `{"hook":"order-sign","hookInstance":"abc","context":{"userId":"Practitioner/1","patientId":"p1","draftOrders":{"resourceType":"Bundle","entry":[]}}}`
	tests := []struct {
		name, path, ctype, body string
		status                  int
		code                    string
	}{
		{"malformed JSON", "/cds-services/jak-order-sign", "application/json", `{"hook":`, 400, "malformed_json"},
		{"trailing garbage", "/cds-services/jak-order-sign", "application/json", valid + `}`, 400, "malformed_json"},
		{"missing hook", "/cds-services/jak-order-sign", "application/json", `{"hookInstance":"a","context":{}}`, 400, "invalid_request"},
		{"missing hookInstance", "/cds-services/jak-order-sign", "application/json", `{"hook":"order-sign","context":{}}`, 400, "invalid_request"},
		{"missing context", "/cds-services/jak-order-sign", "application/json", `{"hook":"order-sign","hookInstance":"a"}`, 400, "invalid_request"},
		{"hook as number", "/cds-services/jak-order-sign", "application/json", `{"hook":5,"hookInstance":"a","context":{}}`, 400, "invalid_request"},
		{"hook does not match service", "/cds-services/jak-order-sign", "application/json", strings.Replace(valid, "order-sign", "order-select", 1), 400, "invalid_request"},
		{"draftOrders not a Bundle", "/cds-services/jak-order-sign", "application/json", strings.Replace(valid, `"resourceType":"Bundle"`, `"resourceType":"Patient"`, 1), 400, "invalid_request"},
		{"unknown service", "/cds-services/no-such-service", "application/json", valid, 404, "not_found"},
		{"wrong content type", "/cds-services/jak-order-sign", "text/plain", valid, 415, "unsupported_media_type"},
		{"too large", "/cds-services/jak-order-sign", "application/json", `{"hook":"order-sign","x":"` + strings.Repeat("a", 70<<10) + `"}`, 413, "request_too_large"},
		{"too deep", "/cds-services/jak-order-sign", "application/json", strings.Repeat("[", 200) + strings.Repeat("]", 200), 400, "too_deep"},
		{"too many draft orders", "/cds-services/jak-order-sign", "application/json", manyDrafts, 400, "invalid_request"},
		{"too many resources", "/cds-services/jak-order-sign", "application/json", manyResources, 413, "request_too_large"},
		{"feedback unknown service", "/cds-services/nope/feedback", "application/json", `{"feedback":[]}`, 404, "not_found"},
		{"feedback invalid outcome", "/cds-services/jak-order-sign/feedback", "application/json", `{"feedback":[{"card":"x","outcome":"ignored","outcomeTimestamp":"2026-11-23T10:00:00Z"}]}`, 400, "invalid_request"},
		{"unknown route", "/nothing", "", "", 404, "not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := http.MethodPost
			if tc.body == "" {
				method = http.MethodGet
			}
			rec := do(t, h, method, tc.path, tc.ctype, []byte(tc.body))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			var e cdshooks.Error
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code != tc.code || e.Error.Message == "" {
				t.Errorf("body %s, want error code %q with a message", rec.Body, tc.code)
			}
			if rec.Header().Get(api.RequestIDHeader) == "" {
				t.Error("no request ID header")
			}
		})
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("a client mistake was logged as a server error:\n%s", logs)
	}
}

// TestDuplicateNamesRefused: a member named twice in the envelope, the
// context or among the prefetch keys is a 400 that names it, for the
// service and the feedback endpoints.
func TestDuplicateNamesRefused(t *testing.T) {
	t.Parallel()
	h, _ := newServer(t, nil)
	ctx := `"context":{"userId":"Practitioner/1","patientId":"p1","draftOrders":{"resourceType":"Bundle","entry":[]}}`
	for _, tc := range []struct{ name, path, body, named string }{
		{"hook twice", "/cds-services/jak-order-sign", `{"hook":"order-sign","hookInstance":"abc",` + ctx + `,"hook":"order-sign"}`, "hook: appears more than once"},
		{"context member twice", "/cds-services/jak-order-sign", `{"hook":"order-sign","hookInstance":"abc","context":{"patientId":"p1","patientId":"p2","draftOrders":{"resourceType":"Bundle","entry":[]}}}`, "context.patientId: appears more than once"},
		{"prefetch key twice", "/cds-services/jak-order-sign", `{"hook":"order-sign","hookInstance":"abc",` + ctx + `,"prefetch":{"patient":null,"patient":{"resourceType":"Patient","id":"p1"}}}`, "prefetch.patient: appears more than once"},
		{"feedback outcome twice", "/cds-services/jak-order-sign/feedback", `{"feedback":[{"card":"x","outcome":"accepted","outcome":"overridden","outcomeTimestamp":"2026-11-23T10:00:00Z"}]}`, "feedback[0].outcome: appears more than once"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, http.MethodPost, tc.path, "application/json", []byte(tc.body))
			var e cdshooks.Error
			if rec.Code != http.StatusBadRequest || json.Unmarshal(rec.Body.Bytes(), &e) != nil ||
				e.Error.Code != cdshooks.CodeInvalidRequest || e.Error.Message != tc.named {
				t.Errorf("%d %s, want 400 invalid_request %q", rec.Code, rec.Body, tc.named)
			}
		})
	}
}

func TestFeedbackAccepted(t *testing.T) {
	t.Parallel()
	h, _ := newServer(t, nil)
	for _, f := range []string{"feedback-accepted.json", "feedback-overridden.json", "feedback-overridden-with-reason.json"} {
		rec := do(t, h, http.MethodPost, "/cds-services/jak-order-sign/feedback", "application/json", readFile(t, filepath.Join("testdata", "spec", f)))
		if rec.Code != http.StatusOK {
			t.Errorf("%s: status %d %s", f, rec.Code, rec.Body)
		}
	}
}

func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	h, _ := newServer(t, nil)
	req := httptest.NewRequest(http.MethodOptions, "/cds-services/jak-order-sign", nil)
	req.Header.Set("Origin", "https://sandbox.cds-hooks.org")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("preflight status %d", rec.Code)
	}
	hdr := rec.Header()
	if hdr.Get("Access-Control-Allow-Origin") != "https://sandbox.cds-hooks.org" ||
		!strings.Contains(hdr.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(hdr.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight headers %v", hdr)
	}
	req = httptest.NewRequest(http.MethodOptions, "/cds-services/jak-order-sign", nil)
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Error("an unlisted origin was allowed")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	h, _ := newServer(t, nil)
	if rec := do(t, h, http.MethodGet, "/healthz", "", nil); rec.Code != http.StatusOK {
		t.Errorf("/healthz %d", rec.Code)
	}
	rec := do(t, h, http.MethodGet, "/readyz", "", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), defaultPolicies(t).Revision) {
		t.Errorf("/readyz %d %s", rec.Code, rec.Body)
	}
	notReady := api.New(api.Config{}, engine.NewActive(nil), nil).Handler()
	if rec := do(t, notReady, http.MethodGet, "/readyz", "", nil); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/readyz without policies: %d, want 503", rec.Code)
	}
}

// TestLogsCarryNoPatientData sends whole-patient requests and checks that
// neither the patient's id nor any name or value reaches the log.
func TestLogsCarryNoPatientData(t *testing.T) {
	t.Parallel()
	h, logs := newServer(t, nil)
	for _, gc := range goldenCases {
		body := requestFile(t, gc)
		rec := do(t, h, http.MethodPost, "/cds-services/jak-"+gc.hook, "application/json", body)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", gc.name, rec.Code)
		}
		var req struct {
			Context struct {
				PatientID string `json:"patientId"`
			} `json:"context"`
		}
		_ = json.Unmarshal(body, &req)
		if req.Context.PatientID == "" || strings.Contains(logs.String(), req.Context.PatientID) {
			t.Errorf("%s: the log contains the patient id", gc.name)
		}
	}
	for _, phi := range []string{"Kermit", "Trantow", "Razo", "birthDate", "1993-"} {
		if strings.Contains(logs.String(), phi) {
			t.Errorf("the log contains %q", phi)
		}
	}
}
