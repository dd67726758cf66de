package playground_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/playground"
	"github.com/labelguard/labelguard/policies"
)

// testNow is the evaluation time of every test: the scenarios' "now", so
// that their recent labs count as recent.
var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// samplesDir is the repository's test corpus, as serve's
// --playground-samples default points at it.
const samplesDir = "../policies/testdata"

var (
	psOnce sync.Once
	psVal  *engine.PolicySet
	psErr  error
)

// defaultPolicies compiles the default policy set once per test binary:
// compiling is the slow part of every test here.
func defaultPolicies(t testing.TB) *engine.PolicySet {
	t.Helper()
	psOnce.Do(func() { psVal, psErr = engine.Load(context.Background(), policies.FS, engine.Options{}) })
	if psErr != nil {
		t.Fatalf("load default policies: %v", psErr)
	}
	return psVal
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	srv    *httptest.Server
	active *engine.Active
	logs   *syncBuffer
}

// newEnv serves the real CDS Hooks API and the playground side by side on
// one origin, as serve does once the lead mounts the playground.
func newEnv(t testing.TB, mutate func(*playground.Config)) *env {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	active := engine.NewActive(defaultPolicies(t))
	now := func() time.Time { return testNow }
	cds := api.New(api.Config{Now: now, AuthDisabled: true, EvalTimeout: time.Minute}, active, log).Handler()
	// A busy machine must not turn a test into a deadline test.
	cfg := playground.Config{Policies: active, SamplesDir: samplesDir, Now: now, Logger: log, EvalTimeout: time.Minute}
	if mutate != nil {
		mutate(&cfg)
	}
	pg := playground.New(cfg)
	mux := http.NewServeMux()
	h := pg.Handler()
	mux.Handle("/playground", h)
	mux.Handle("/playground/", h)
	mux.Handle("/", cds)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{srv: srv, active: active, logs: logs}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errorCode returns the code of a CDS Hooks error body.
func (r response) errorCode(t testing.TB) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	r.json(t, &e)
	if e.Error.Message == "" {
		t.Errorf("error body without message: %s", r.body)
	}
	return e.Error.Code
}

func (e *env) do(t testing.TB, method, path, contentType string, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (e *env) get(t testing.TB, path string) response {
	t.Helper()
	return e.do(t, http.MethodGet, path, "", nil)
}

func (e *env) post(t testing.TB, path string, v any) response {
	t.Helper()
	var body []byte
	switch x := v.(type) {
	case []byte:
		body = x
	case string:
		body = []byte(x)
	default:
		var err error
		if body, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	return e.do(t, http.MethodPost, path, "application/json", bytes.NewReader(body))
}

func wantStatus(t testing.TB, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body %s", r.status, want, truncate(string(r.body), 600))
	}
	if ct := r.header.Get("Content-Type"); want >= 400 && !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type %q, want JSON", ct)
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
