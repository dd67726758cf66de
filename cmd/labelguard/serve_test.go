package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/internal/hang"
	"github.com/labelguard/labelguard/phi"
	"github.com/labelguard/labelguard/store"
)

// syncBuffer lets the test read what serve prints while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// startServe runs serve with cfg until ctx is done and returns the base
// URL it prints for scheme (http or https) and the channel of its result.
// The minute is a hang guard.
func startServe(ctx context.Context, t *testing.T, cfg serveConfig, scheme string) (string, <-chan error) {
	t.Helper()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, cfg, out) }()
	url := startedURL(t, out, done)
	if !strings.HasPrefix(url, scheme+"://") {
		t.Fatalf("serve listens on %s, want %s", url, scheme)
	}
	return url, done
}

func TestServeStartsOnEmbeddedDefaultsAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := serveConfig{
		addr: "127.0.0.1:0", maxBodyBytes: 1 << 20, maxDepth: 64,
		logLevel: "info", logFormat: "json", shutdownTimeout: hang.Guard,
		dataDir: t.TempDir(), auditQueueSize: 100,
	}
	base, done := startServe(ctx, t, cfg, "http")
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz = %d %s", resp.StatusCode, body)
	}
	var ready struct {
		Checks map[string]map[string]any `json:"checks"`
	}
	if err := json.Unmarshal(body, &ready); err != nil {
		t.Fatal(err)
	}
	if ready.Checks["authentication"]["status"] != "disabled" {
		t.Errorf("/readyz does not warn that authentication is disabled: %s", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v on shutdown", err)
		}
	case <-time.After(hang.Guard):
		t.Fatal("serve did not stop after its context was cancelled")
	}
}

// writeTestCert writes a self-signed certificate for 127.0.0.1 and its
// key into a temporary directory.
func writeTestCert(t *testing.T) (certFile, keyFile string, der []byte) {
	t.Helper()
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile, der
}

func TestServeTLSAndHTTP2(t *testing.T) {
	certFile, keyFile, der := writeTestCert(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := serveConfig{addr: "127.0.0.1:0", maxBodyBytes: 1 << 20, maxDepth: 64, logLevel: "info", logFormat: "json",
		shutdownTimeout: hang.Guard, tlsCert: certFile, tlsKey: keyFile, dataDir: t.TempDir(), auditQueueSize: 100}
	base, done := startServe(ctx, t, cfg, "https")
	pool := x509.NewCertPool()
	pool.AddCert(mustParse(t, der))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	resp, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 {
		t.Errorf("status %d over %s, want 200 over HTTP/2", resp.StatusCode, resp.Proto)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// startedURL waits for serve's startup line and returns the URL it serves
// on; it fails the test if serve exits first or says nothing for a minute.
func startedURL(t *testing.T, out *syncBuffer, done <-chan error) string {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, line := range strings.Split(out.String(), "\n") {
			var l struct{ Msg, URL string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "labelguard started" && l.URL != "" {
				return l.URL
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, out.String())
		default:
		}
	}
	t.Fatalf("serve never said where it listens; printed %q", out.String())
	return ""
}

func mustParse(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestServeRefusesBrokenPolicies: a policy set whose rule lacks its
// METADATA stops startup with a message naming the file and the rule.
func TestServeRefusesBrokenPolicies(t *testing.T) {
	dir := copyPolicies(t, "../../policies", false)
	path := filepath.Join(dir, "rules", "jak", "allergy.rego")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), "# METADATA", "# (metadata removed)", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := serveConfig{addr: "127.0.0.1:0", policyDir: dir, maxBodyBytes: 1 << 20, maxDepth: 64,
		logLevel: "error", logFormat: "json", dataDir: t.TempDir(), auditQueueSize: 10}
	err = runServe(context.Background(), cfg, &syncBuffer{})
	if err == nil {
		t.Fatal("serve started on a policy set with a rule lacking METADATA")
	}
	for _, want := range []string{"rules/jak/allergy.rego:", "labelguard.rules.jak.findings", "METADATA"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

// TestShadowAuditor: shadow evaluations land in the decision audit under
// "shadow:<service>" with the candidate's revision and hashed identifiers.
func TestShadowAuditor(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q := store.NewAuditQueue(st, store.QueueOptions{})
	h, err := phi.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	in := &facts.Input{Hook: "order-sign", HookInstance: "hi", Patient: &facts.Patient{Ref: "Patient/p1"}}
	res := &engine.Result{
		Findings: []engine.Finding{{Rule: "upadacitinib.dose-max", Indicator: "critical", Order: "MedicationRequest/m1"}},
		Cards: []cdshooks.Card{{UUID: "u1", Indicator: "critical",
			Source: cdshooks.Source{Topic: &cdshooks.Coding{System: engine.TopicSystem, Code: "upadacitinib.dose-max"}}}},
	}
	shadowAuditor(q, h)("jak-order-sign", in, "candidate-rev", res)
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	ds, err := st.Decisions(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Fatalf("%d decisions, want 1", len(ds))
	}
	d := ds[0]
	if d.Service != "shadow:jak-order-sign" || d.PolicyRevision != "candidate-rev" || d.PatientHash != h.Hash("p1") ||
		len(d.Cards) != 1 || d.Cards[0].Rule != "upadacitinib.dose-max" || d.Cards[0].Order != h.HashRef("MedicationRequest/m1") {
		t.Errorf("shadow decision = %+v", d)
	}
}
