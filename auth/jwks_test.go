package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jwksServer serves a replaceable JWK Set and counts requests.
type jwksServer struct {
	*httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	body []byte
	code int
}

func newJWKSServer(t *testing.T, body []byte) *jwksServer {
	s := &jwksServer{body: body, code: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.WriteHeader(s.code)
		_, _ = w.Write(s.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) serve(code int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.code, s.body = code, body
}

func genEC(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func remoteTok(t *testing.T, now time.Time, iss, kid string, key *ecdsa.PrivateKey) string {
	tk := baseTok(t, now)
	tk.claims["iss"] = iss
	tk.header["kid"] = kid
	tk.key = key
	return "Bearer " + tk.sign(t)
}

func TestJWKSURLRefreshAndRateLimit(t *testing.T) {
	const iss = "https://remote.example.org"
	k1, k2, k3 := genEC(t), genEC(t), genEC(t)
	srv := newJWKSServer(t, jwksJSON(t, map[string]crypto.PublicKey{"k1": &k1.PublicKey}, nil))
	c := newClock(t0)
	v := newTestVerifier(t, c, func(cfg *Config) {
		cfg.Issuers = append(cfg.Issuers, Issuer{ISS: iss, JWKSURL: srv.URL + "/jwks"})
		cfg.KeyRefreshInterval = time.Minute
	})
	ctx := context.Background()
	verify := func(kid string, key *ecdsa.PrivateKey) error {
		_, err := v.Verify(ctx, remoteTok(t, c.now(), iss, kid, key), testPath)
		return err
	}
	if err := verify("k1", k1); err != nil {
		t.Fatalf("first token: %v", err)
	}
	if err := verify("k1", k1); err != nil || srv.hits.Load() != 1 {
		t.Fatalf("cached key: %v, hits %d, want 1", err, srv.hits.Load())
	}
	// The issuer rotates to k2: an unknown kid triggers a refetch.
	srv.serve(http.StatusOK, jwksJSON(t, map[string]crypto.PublicKey{"k1": &k1.PublicKey, "k2": &k2.PublicKey}, nil))
	c.add(2 * time.Minute)
	if err := verify("k2", k2); err != nil || srv.hits.Load() != 2 {
		t.Fatalf("rotated key: %v, hits %d, want 2", err, srv.hits.Load())
	}
	// A flood of unknown kids right after: no fetch, each rejected.
	for i := range 50 {
		if err := verify(fmt.Sprintf("flood-%d", i), k3); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("flood token %d: %v, want ErrUnknownKey", i, err)
		}
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("JWKS server hit %d times during the flood, want 2", n)
	}
	// Known keys keep working during the flood.
	if err := verify("k1", k1); err != nil {
		t.Fatalf("known key during flood: %v", err)
	}
	// After the interval, k3 is fetched.
	srv.serve(http.StatusOK, jwksJSON(t, map[string]crypto.PublicKey{"k3": &k3.PublicKey}, nil))
	c.add(61 * time.Second)
	if err := verify("k3", k3); err != nil || srv.hits.Load() != 3 {
		t.Fatalf("after interval: %v, hits %d, want 3", err, srv.hits.Load())
	}
	// k1 vanished from the set: refused (fresh set wins over old keys).
	if err := verify("k1", k1); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("removed key: %v, want ErrUnknownKey", err)
	}
}

func TestJWKSURLConcurrentUnknownKids(t *testing.T) {
	const iss = "https://remote.example.org"
	k1 := genEC(t)
	srv := newJWKSServer(t, jwksJSON(t, map[string]crypto.PublicKey{"k1": &k1.PublicKey}, nil))
	c := newClock(t0)
	v := newTestVerifier(t, c, func(cfg *Config) {
		cfg.Issuers = append(cfg.Issuers, Issuer{ISS: iss, JWKSURL: srv.URL + "/jwks"})
	})
	var wg sync.WaitGroup
	for i := range 64 {
		raw := remoteTok(t, t0, iss, fmt.Sprintf("x%d", i), k1)
		wg.Go(func() { _, _ = v.Verify(context.Background(), raw, testPath) })
	}
	wg.Wait()
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("64 concurrent unknown kids caused %d fetches, want 1", n)
	}
}

func TestJWKSURLFailures(t *testing.T) {
	const iss = "https://remote.example.org"
	k1 := genEC(t)
	srv := newJWKSServer(t, []byte("oops"))
	srv.serve(http.StatusInternalServerError, []byte("oops"))
	c := newClock(t0)
	v := newTestVerifier(t, c, func(cfg *Config) {
		cfg.Issuers = append(cfg.Issuers, Issuer{ISS: iss, JWKSURL: srv.URL + "/jwks"})
	})
	ctx := context.Background()
	_, err := v.Verify(ctx, remoteTok(t, c.now(), iss, "k1", k1), testPath)
	if !errors.Is(err, ErrKeysUnavailable) || !IsServerSide(err) {
		t.Fatalf("server error: %v, want ErrKeysUnavailable", err)
	}
	// Rate-limited retry: no new fetch.
	_, err = v.Verify(ctx, remoteTok(t, c.now(), iss, "k1", k1), testPath)
	if !errors.Is(err, ErrKeysUnavailable) || srv.hits.Load() != 1 {
		t.Fatalf("retry: %v, hits %d", err, srv.hits.Load())
	}
	// Recovery.
	srv.serve(http.StatusOK, jwksJSON(t, map[string]crypto.PublicKey{"k1": &k1.PublicKey}, nil))
	c.add(2 * time.Minute)
	if _, err := v.Verify(ctx, remoteTok(t, c.now(), iss, "k1", k1), testPath); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	// The set expires (TTL) and the server fails: the stale set stays in use.
	srv.serve(http.StatusServiceUnavailable, nil)
	c.add(2 * time.Hour)
	if _, err := v.Verify(ctx, remoteTok(t, c.now(), iss, "k1", k1), testPath); err != nil {
		t.Fatalf("stale set during outage: %v", err)
	}
	if srv.hits.Load() != 3 {
		t.Fatalf("hits = %d, want 3 (refresh attempted)", srv.hits.Load())
	}
	// Oversized and private-key sets are refused.
	c.add(2 * time.Minute)
	srv.serve(http.StatusOK, make([]byte, maxJWKSBytes+10))
	if _, err := v.fetcher.fetch(ctx, srv.URL); err == nil {
		t.Error("oversized key set accepted")
	}
}

func TestJWKSNoRedirects(t *testing.T) {
	target := newJWKSServer(t, jwksJSON(t, map[string]crypto.PublicKey{"k1": &genEC(t).PublicKey}, nil))
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
	t.Cleanup(redirect.Close)
	f := &fetcher{client: defaultHTTPClient(), now: time.Now, timeout: time.Second}
	if _, err := f.fetch(context.Background(), redirect.URL); err == nil || target.hits.Load() != 0 {
		t.Fatalf("redirect followed: err %v, target hits %d", err, target.hits.Load())
	}
}

func TestJKU(t *testing.T) {
	const iss = "https://jku.example.org"
	k1 := genEC(t)
	set := jwksJSON(t, map[string]crypto.PublicKey{"k1": &k1.PublicKey}, nil)
	allowed := newJWKSServer(t, set)
	other := newJWKSServer(t, set) // serves the same key: only the allow-list protects
	c := newClock(t0)
	v := newTestVerifier(t, c, func(cfg *Config) {
		cfg.Issuers = append(cfg.Issuers, Issuer{ISS: iss, JKUAllow: []string{allowed.URL + "/jwks"}})
	})
	sign := func(jku any) string {
		tk := baseTok(t, c.now())
		tk.claims["iss"], tk.header["kid"], tk.key = iss, "k1", k1
		tk.header["jku"] = jku
		return "Bearer " + tk.sign(t)
	}
	ctx := context.Background()
	if _, err := v.Verify(ctx, sign(allowed.URL+"/jwks"), testPath); err != nil {
		t.Fatalf("allow-listed jku: %v", err)
	}
	if allowed.hits.Load() != 1 {
		t.Fatalf("allow-listed jku fetched %d times", allowed.hits.Load())
	}
	for _, jku := range []any{other.URL + "/jwks", allowed.URL + "/jwks/", allowed.URL + "/JWKS", 42} {
		if _, err := v.Verify(ctx, sign(jku), testPath); !errors.Is(err, ErrJKUNotAllowed) {
			t.Errorf("jku %v: %v, want ErrJKUNotAllowed", jku, err)
		}
	}
	if other.hits.Load() != 0 {
		t.Fatalf("jku not on the allow-list was fetched %d times", other.hits.Load())
	}
	// Without jku this issuer has no key source.
	if _, err := v.Verify(ctx, sign(nil), testPath); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("no jku: %v", err)
	}
	// Another issuer cannot use this issuer's jku allow-list.
	tk := baseTok(t, c.now())
	tk.header["jku"], tk.header["kid"], tk.key = allowed.URL+"/jwks", "k1", k1
	if _, err := v.Verify(ctx, "Bearer "+tk.sign(t), testPath); !errors.Is(err, ErrJKUNotAllowed) {
		t.Fatalf("jku of another issuer: %v", err)
	}
}

func TestJWKSKeyMustFitAlg(t *testing.T) {
	// A P-384 key published without alg cannot verify an ES256 token even
	// if an attacker could get a matching signature; and an RSA kid cannot
	// be used with ES256.
	k := getKeys(t)
	pk := publicKey{key: &k.ec384.PublicKey}
	for alg, want := range map[string]bool{"ES384": true, "ES256": false, "ES512": false, "RS256": false, "HS256": false} {
		if got := pk.fits(alg); got != want {
			t.Errorf("P-384 fits %s = %v", alg, got)
		}
	}
	rk := publicKey{key: &k.rsa.PublicKey, alg: "PS256"}
	for alg, want := range map[string]bool{"PS256": true, "RS256": false, "ES256": false} {
		if got := rk.fits(alg); got != want {
			t.Errorf("RSA(PS256) fits %s = %v", alg, got)
		}
	}
}

// TestJKUNotAllowListedUsesTheIssuersJWKSURL: an Epic-style token (RS384,
// a jku on every token) whose jku is not allow-listed is verified with the
// key of its kid in the issuer's jwksUrl set; the jku is never fetched.
func TestJKUNotAllowListedUsesTheIssuersJWKSURL(t *testing.T) {
	const iss = "https://epic.example.org/oauth2"
	k := getKeys(t)
	configured := newJWKSServer(t, jwksJSON(t, map[string]crypto.PublicKey{"epic-1": &k.rsa.PublicKey}, nil))
	named := newJWKSServer(t, jwksJSON(t, map[string]crypto.PublicKey{"epic-1": &k.rsa.PublicKey}, nil))
	c := newClock(t0)
	v := newTestVerifier(t, c, func(cfg *Config) {
		cfg.Issuers = append(cfg.Issuers, Issuer{ISS: iss, JWKSURL: configured.URL + "/jwks"})
	})
	sign := func(kid string) string {
		tk := baseTok(t, c.now())
		tk.method, tk.key = jwt.SigningMethodRS384, k.rsa
		tk.claims["iss"], tk.header["kid"], tk.header["jku"] = iss, kid, named.URL+"/jwks"
		return "Bearer " + tk.sign(t)
	}
	if _, err := v.Verify(context.Background(), sign("epic-1"), testPath); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	_, err := v.Verify(context.Background(), sign("epic-2"), testPath)
	if !errors.Is(err, ErrJKUNotAllowed) || !strings.Contains(err.Error(), "the key set at jwksUrl") {
		t.Fatalf("unknown kid: %v", err)
	}
	if named.hits.Load() != 0 || configured.hits.Load() == 0 {
		t.Fatalf("jku fetched %d times, jwksUrl %d", named.hits.Load(), configured.hits.Load())
	}
}
