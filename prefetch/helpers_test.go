package prefetch

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/facts"
)

// countingTransport records every request that leaves the Fetcher, so tests
// can assert that nothing was sent (or not to which host).
type countingTransport struct {
	mu    sync.Mutex
	hosts []string
	paths []string
	inner http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.hosts = append(c.hosts, r.URL.Host)
	c.paths = append(c.paths, r.URL.RequestURI())
	c.mu.Unlock()
	inner := c.inner
	if inner == nil {
		inner = http.DefaultTransport
	}
	return inner.RoundTrip(r)
}

func (c *countingTransport) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.hosts)
}

func (c *countingTransport) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hosts, c.paths = nil, nil
}

// syncBuffer is a log sink safe for the Fetcher's goroutines.
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

// newTestFetcher returns a Fetcher that allows every server, counts its
// requests and logs at debug level into the returned buffer.
func newTestFetcher(t testing.TB, cfg Config) (*Fetcher, *countingTransport, *syncBuffer) {
	t.Helper()
	ct := &countingTransport{}
	logs := &syncBuffer{}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Transport: ct}
	}
	if cfg.Timeout == 0 {
		// Medplum's in-memory search evaluates FHIRPath over every resource
		// of the type (about 0.7 s for an Observation page here), and Node
		// serves one request at a time: a generous deadline keeps tests that
		// are not about deadlines from flaking on a loaded machine.
		cfg.Timeout = 20 * time.Second
	}
	if cfg.Allowed == nil {
		cfg.Allowed = func(string) bool { return true }
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return NewFetcher(cfg), ct, logs
}

func auth(token, patient string) *cdshooks.FHIRAuthorization {
	return &cdshooks.FHIRAuthorization{AccessToken: token, TokenType: "Bearer", ExpiresIn: 300, Scope: "user/*.read", Subject: "labelguard", Patient: patient}
}

// issue finds the issue of kind for key.
func issue(res Result, kind, key string) (facts.DataIssue, bool) {
	i := slices.IndexFunc(res.Issues, func(d facts.DataIssue) bool { return d.Kind == kind && d.Key == key })
	if i < 0 {
		return facts.DataIssue{}, false
	}
	return res.Issues[i], true
}

// entries decodes a fetched Bundle's entries' resources.
func entries(t testing.TB, raw json.RawMessage) []map[string]any {
	t.Helper()
	var b struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
		Link         []any  `json:"link"`
		Entry        []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatalf("fetched value is not JSON: %v", err)
	}
	if b.ResourceType != "Bundle" || b.Type == "" || b.Link != nil {
		t.Fatalf("fetched value is not a merged Bundle: %s", truncate(raw))
	}
	out := make([]map[string]any, 0, len(b.Entry))
	for _, e := range b.Entry {
		out = append(out, e.Resource)
	}
	return out
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

func slogTo(w *syncBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
