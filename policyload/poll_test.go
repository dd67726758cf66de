package policyload

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/internal/hang"
)

func ecKeys(t *testing.T) (priv, pub []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	pder, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pder})
}

func bundleOf(t *testing.T, dir, rev string, key []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := engine.BuildBundle(context.Background(), &buf, os.DirFS(dir), engine.BuildOptions{Revision: rev, SigningKey: key}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bundleServer serves one bundle with an ETag and answers 304 to a
// matching If-None-Match; it counts each kind of answer.
type bundleServer struct {
	mu     sync.Mutex
	data   []byte
	etag   string
	status map[int]int
}

func (s *bundleServer) set(data []byte, etag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data, s.etag = data, etag
}

func (s *bundleServer) count(code int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status[code]
}

func (s *bundleServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status == nil {
		s.status = map[int]int{}
	}
	if r.Header.Get("If-None-Match") == s.etag {
		s.status[http.StatusNotModified]++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.status[http.StatusOK]++
	w.Header().Set("ETag", s.etag)
	w.Header().Set("Content-Type", "application/gzip")
	w.Write(s.data)
}

// waitFor waits for an event, not for a time: hang.Guard only tells
// "later" from "never" on a busy machine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hang.Guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPollBundle(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := copyDir(t, "testdata/mini")
	priv, pub := ecKeys(t)
	otherPriv, _ := ecKeys(t)
	srv := &bundleServer{}
	srv.set(bundleOf(t, dir, "rev-1", priv), `"v1"`)
	ts := httptest.NewServer(srv)
	defer ts.Close()

	var outcomes []string
	var mu sync.Mutex
	m, err := New(Config{Active: &engine.Active{}, OnReload: func(o string) { mu.Lock(); outcomes = append(outcomes, o); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.PollBundle(ctx, ts.URL+"/bundle.tar.gz", pub, 30*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if st := m.Status(); st.Revision != "rev-1" || st.Source != "bundle "+ts.URL+"/bundle.tar.gz" || st.Bundle.ETag != `"v1"` {
		t.Fatalf("after the first poll: %+v %+v", st, st.Bundle)
	}
	// Unchanged: 304, nothing else happens.
	waitFor(t, "a 304", func() bool { return srv.count(http.StatusNotModified) >= 2 })
	if srv.count(http.StatusOK) != 1 || m.Status().Bundle.LastOutcome != "not-modified" {
		t.Errorf("answers %v, bundle status %+v", srv.status, m.Status().Bundle)
	}

	// Signed with another key: rejected, rev-1 keeps serving.
	edit(t, filepath.Join(dir, "data/params.json"), `"maxDose": 30`, `"maxDose": 31`)
	srv.set(bundleOf(t, dir, "rev-evil", otherPriv), `"v2"`)
	waitFor(t, "the wrong signature rejected", func() bool {
		a := m.Status().LastAttempt
		return a != nil && a.Outcome == OutcomeRejected
	})
	if st := m.Status(); st.Revision != "rev-1" || !strings.Contains(st.LastAttempt.Error, "verif") {
		t.Errorf("status %+v, last attempt %+v", st, st.LastAttempt)
	}
	// Unsigned: rejected.
	srv.set(bundleOf(t, dir, "rev-unsigned", nil), `"v3"`)
	waitFor(t, "the unsigned bundle rejected", func() bool {
		return m.Status().Reloads[OutcomeRejected] == 2
	})
	if st := m.Status(); st.Revision != "rev-1" || !strings.Contains(st.LastAttempt.Error, "missing .signatures.json") {
		t.Errorf("status %+v, last attempt %+v", st, st.LastAttempt)
	}
	// Properly signed: activated.
	srv.set(bundleOf(t, dir, "rev-2", priv), `"v4"`)
	waitFor(t, "rev-2", func() bool { return m.Status().Revision == "rev-2" })
	res, err := m.cfg.Active.Load().Evaluate(ctx, engine.Request{Service: "svc", Input: miniInput(45)})
	if err != nil || len(res.Cards) != 1 || !strings.Contains(res.Cards[0].Summary, "maximum of 31") {
		t.Errorf("rev-2 serves %+v, %v", res, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(outcomes, ",") != "activated,rejected,rejected,activated" {
		t.Errorf("outcomes %v", outcomes)
	}
}

func TestPollBundleRefusesBadSettings(t *testing.T) {
	m, _ := New(Config{Active: &engine.Active{}})
	_, pub := ecKeys(t)
	for _, tc := range []struct {
		url string
		key []byte
	}{{"ftp://x/b.tar.gz", pub}, {"http://127.0.0.1:1/b.tar.gz", nil}, {"http://127.0.0.1:1/b.tar.gz", pub}} {
		if err := m.PollBundle(context.Background(), tc.url, tc.key, time.Second); err == nil {
			t.Errorf("%s with key %v: accepted", tc.url, tc.key != nil)
		}
	}
}
