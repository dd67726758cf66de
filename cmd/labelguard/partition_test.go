package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/labelguard/labelguard/conformance"
	"github.com/labelguard/labelguard/internal/hang"
	"github.com/labelguard/labelguard/internal/pgtest"
)

// partitionFixture is a serve process (in this test process) with
// authentication required and PostgreSQL behind a proxy that can
// partition it.
type partitionFixture struct {
	base    string
	proxy   *pgtest.Proxy
	sign    func(aud string) (string, error)
	client  *http.Client
	body    []byte
	out     *syncBuffer
	stop    context.CancelFunc
	done    chan error
	dsn     string // the database, not through the proxy
	baseURL string // the JWT aud prefix
}

func startPartitionFixture(t *testing.T) *partitionFixture {
	t.Helper()
	dsn := pgtest.Schema(t)
	proxied, proxy := pgtest.ViaProxy(t, dsn)
	dir := t.TempDir()

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	coord := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	pub, err := key.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	jwks := map[string]any{"keys": []any{map[string]any{"kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256", "use": "sig",
		"x": coord(pub[1:33]), "y": coord(pub[33:])}}}
	const iss = "https://ehr.partition.example"
	issuers := map[string]any{"issuers": []any{map[string]any{"iss": iss, "jwks": jwks}}}
	write := func(name string, v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	issuersFile := write("issuers.json", issuers)
	hashKey := filepath.Join(dir, "hash.key")
	if err := os.WriteFile(hashKey, []byte("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sign, err := conformance.Signer(key, iss, "k1")
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(filepath.Join("..", "..", "api", "testdata", "requests", "upadacitinib-15mg-normal-cbc.json"))
	if err != nil {
		t.Fatal(err)
	}

	const baseURL = "https://cds.partition.example"
	ctx, stop := context.WithCancel(context.Background())
	out := &syncBuffer{}
	root := newRootCmd()
	root.SetErr(out)
	root.SetArgs([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--playground", "false",
		"--auth", "required", "--trusted-issuers", issuersFile, "--base-url", baseURL,
		"--database-dsn", proxied, "--hash-key-file", hashKey,
		// Generous: a busy machine must not turn this into a deadline test.
		"--eval-timeout", "1m", "--queue-wait", "1m", "--shutdown-timeout", "1m"})
	done, exited := make(chan error, 1), make(chan struct{})
	go func() { done <- root.ExecuteContext(ctx); close(exited) }()
	t.Cleanup(func() {
		stop()
		select {
		case <-exited:
		case <-time.After(hang.Guard):
		}
	})
	return &partitionFixture{
		base: startedURL(t, out, done), proxy: proxy, sign: sign, body: body, out: out, stop: stop, done: done,
		dsn: dsn, baseURL: baseURL, client: &http.Client{Timeout: hang.Guard},
	}
}

type answer struct {
	status     int
	retryAfter string
	body       string
	elapsed    time.Duration
}

// post sends body to path with a fresh token (or the one given).
func (f *partitionFixture) post(t *testing.T, path string, body []byte, token string) answer {
	t.Helper()
	if token == "" {
		token = f.token(t, path)
	}
	req, err := http.NewRequest(http.MethodPost, f.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v (the client's timeout is the hang guard)", path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(b), elapsed: time.Since(start)}
}

func (f *partitionFixture) token(t *testing.T, path string) string {
	t.Helper()
	tok, err := f.sign(f.baseURL + path)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// hook makes a hook call with its own hookInstance.
func (f *partitionFixture) hook(t *testing.T, instance string) answer {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(f.body, &m); err != nil {
		t.Fatal(err)
	}
	m["hookInstance"] = instance
	b, _ := json.Marshal(m)
	return f.post(t, "/cds-services/jak-order-select", b, "")
}

func feedbackBody(card string) []byte {
	return []byte(`{"feedback":[{"card":"` + card + `","outcome":"overridden","overrideReason":{"userComment":"not now"},"outcomeTimestamp":"2026-11-23T10:00:00Z"}]}`)
}

func (f *partitionFixture) metric(t *testing.T, name string) float64 {
	t.Helper()
	resp, err := f.client.Get(f.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`(?m)^` + name + ` ([0-9.e+]+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no %s in /metrics", name)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// TestServeUnderDatabasePartition: with PostgreSQL behind a network that
// drops packets (connections accepted, nothing forwarded) and
// authentication required, hook calls are answered without waiting for
// the database (the JWT replay check falls back to this replica's cache,
// counted and logged once), feedback is refused with 503 and Retry-After,
// and readiness stays on; once the network heals, every call answered 200
// is in the decision audit and every feedback acknowledged is stored.
//
// The partition lasts until the test ends it, and the test ends it only
// after the calls made during it have been answered: a call that waited
// on the database would hang the test (up to the hang guard) rather than
// pass late. The one wall-clock bound is the feedback's "about a second",
// asserted at 5 s: the deadline is 1 s, and 5 s leaves a loaded CI
// machine room while still telling it apart from waiting for the network.
func TestServeUnderDatabasePartition(t *testing.T) {
	f := startPartitionFixture(t)
	var answered []string // hookInstances answered 200
	hook := func(instance string) {
		t.Helper()
		if a := f.hook(t, instance); a.status != http.StatusOK {
			t.Fatalf("hook call %s: %d %s", instance, a.status, a.body)
		}
		answered = append(answered, instance)
	}
	hook("before-0")
	if a := f.post(t, "/cds-services/jak-order-select/feedback", feedbackBody("card-before"), ""); a.status != http.StatusOK {
		t.Fatalf("feedback before the partition: %d %s", a.status, a.body)
	}

	f.proxy.Partition()
	for i := range 5 {
		hook("during-" + strconv.Itoa(i))
	}
	a := f.post(t, "/cds-services/jak-order-select/feedback", feedbackBody("card-during"), "")
	if a.status != http.StatusServiceUnavailable || a.retryAfter == "" {
		t.Errorf("feedback during the partition: %d, Retry-After %q, want 503 with Retry-After: %s", a.status, a.retryAfter, a.body)
	}
	if a.elapsed > 5*time.Second {
		t.Errorf("feedback during the partition answered after %s, want about a second", a.elapsed)
	}
	// This replica still refuses a replayed token.
	path := "/cds-services/jak-order-select"
	tok := f.token(t, path)
	if a := f.post(t, path, f.body, tok); a.status != http.StatusOK {
		t.Fatalf("first use of a token during the partition: %d %s", a.status, a.body)
	}
	answered = append(answered, hookInstanceOf(t, f.body))
	if a := f.post(t, path, f.body, tok); a.status != http.StatusUnauthorized {
		t.Errorf("a replayed token during the partition: %d, want 401", a.status)
	}
	if n := f.metric(t, "labelguard_replay_cache_fallbacks_total"); n < 7 {
		t.Errorf("labelguard_replay_cache_fallbacks_total = %v during the partition, want at least 7", n)
	}
	resp, err := f.client.Get(f.base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	ready, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(ready), `"unavailable"`) {
		t.Errorf("/readyz during the partition: %d %s, want 200 reporting the database unavailable", resp.StatusCode, ready)
	}

	f.proxy.Heal()
	hook("after-0")
	// The client retries the feedback it was refused.
	for deadline := time.Now().Add(hang.Guard); ; time.Sleep(100 * time.Millisecond) {
		a := f.post(t, "/cds-services/jak-order-select/feedback", feedbackBody("card-during"), "")
		if a.status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("feedback retried after the partition: %d %s", a.status, a.body)
		}
	}
	hook("after-1")

	// Stop the service: the audit queue is written before it returns.
	f.stop()
	select {
	case err := <-f.done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(2 * hang.Guard):
		t.Fatal("serve did not stop")
	}

	logs := f.out.String()
	if n := strings.Count(logs, "shared replay cache unavailable"); n != 1 {
		t.Errorf("the replay cache outage was logged %d times, want once", n)
	}
	if n := strings.Count(logs, "shared replay cache answers again"); n != 1 {
		t.Errorf("the replay cache recovery was logged %d times, want once", n)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %q", line)
		}
	}

	ctx := context.Background()
	db, err := pgx.Connect(ctx, f.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	rows, err := db.Query(ctx, `SELECT hook_instance FROM decisions`)
	if err != nil {
		t.Fatal(err)
	}
	audited, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range answered {
		if !slices.Contains(audited, id) {
			t.Errorf("call %s was answered 200 but is not in the decision audit (audited: %v)", id, audited)
		}
	}
	rows, err = db.Query(ctx, `SELECT card_uuid FROM feedback`)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(stored)
	if !slices.Equal(stored, []string{"card-before", "card-during"}) {
		t.Errorf("feedback stored: %v, want the two acknowledged entries once each", stored)
	}
}

// hookInstanceOf returns the hookInstance of a request body.
func hookInstanceOf(t *testing.T, body []byte) string {
	t.Helper()
	var m struct {
		HookInstance string `json:"hookInstance"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.HookInstance == "" {
		t.Fatalf("no hookInstance: %v", err)
	}
	return m.HookInstance
}
