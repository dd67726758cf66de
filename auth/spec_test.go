package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// failTransport fails the test on any outbound request.
type failTransport struct{ t *testing.T }

func (f failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("unexpected fetch of %s", r.URL)
	return nil, errors.New("no network in tests")
}

func specVerifier(t *testing.T, now time.Time) *Verifier {
	t.Helper()
	issuers, err := LoadIssuers("testdata/issuers.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(Config{
		Issuers:    issuers,
		BaseURL:    "https://cds.example.org",
		Now:        func() time.Time { return now },
		HTTPClient: &http.Client{Transport: failTransport{t}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func specToken(t *testing.T) string {
	data, err := os.ReadFile("testdata/spec-jwt-compact-ES384.txt")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// The spec's example token (CDS Hooks 2.0.1, "Trusting CDS Clients") has a
// valid ES384 signature for the spec's key set but expired in 2015.
func TestSpecTokenExpired(t *testing.T) {
	v := specVerifier(t, t0)
	_, err := v.Verify(context.Background(), "Bearer "+specToken(t), "/cds-services/some-service")
	if !errors.Is(err, ErrExpired) {
		t.Fatalf("spec token now: %v, want ErrExpired", err)
	}
	if Challenge(err) != `Bearer realm="labelguard", error="invalid_token"` {
		t.Errorf("Challenge = %q", Challenge(err))
	}
	if !strings.Contains(err.Error(), `iss="https://fhir-ehr.example.com/"`) || !strings.Contains(err.Error(), `kid="example-kid"`) {
		t.Errorf("log text lacks iss/kid: %v", err)
	}
}

// With the clock set to just before its exp (2015-01-29), the spec token
// verifies: so the expiry error above comes after a successful signature
// check, with matching iss, aud, tenant and jku allow-list.
func TestSpecTokenVerifiesIn2015(t *testing.T) {
	exp := time.Unix(1422568860, 0)
	v := specVerifier(t, exp.Add(-10*time.Minute))
	p, err := v.Verify(context.Background(), "Bearer "+specToken(t), "/cds-services/some-service")
	if err != nil {
		t.Fatalf("spec token in 2015: %v", err)
	}
	if p.Issuer != "https://fhir-ehr.example.com/" || p.Tenant != "2ddd6c3a-8e9a-44c6-a305-52111ad302a2" || p.JTI != "ee22b021-e1b7-4611-ba5b-8eec6a33ac1e" {
		t.Errorf("principal = %+v", p)
	}
	if !p.AllowsFHIRServer("https://fhir-ehr.example.com/r4") {
		t.Error("configured FHIR server not allowed")
	}
	// Replayed: refused.
	if _, err := v.Verify(context.Background(), "Bearer "+specToken(t), "/cds-services/some-service"); !errors.Is(err, ErrReplay) {
		t.Errorf("replayed spec token: %v", err)
	}
	// Another endpoint: wrong aud.
	v = specVerifier(t, exp.Add(-10*time.Minute))
	if _, err := v.Verify(context.Background(), "Bearer "+specToken(t), "/cds-services/other"); !errors.Is(err, ErrAudience) {
		t.Errorf("other endpoint: %v", err)
	}
}

// A tampered spec token fails on the signature, before expiry is looked at.
func TestSpecTokenTampered(t *testing.T) {
	raw := specToken(t)
	parts := strings.Split(raw, ".")
	sig := []byte(parts[2])
	if sig[10] == 'A' {
		sig[10] = 'B'
	} else {
		sig[10] = 'A'
	}
	tampered := parts[0] + "." + parts[1] + "." + string(sig)
	for _, now := range []time.Time{t0, time.Unix(1422568860, 0).Add(-10 * time.Minute)} {
		v := specVerifier(t, now)
		if _, err := v.Verify(context.Background(), "Bearer "+tampered, "/cds-services/some-service"); !errors.Is(err, ErrSignature) {
			t.Errorf("tampered spec token at %s: %v, want ErrSignature", now, err)
		}
	}
}

// The spec token names jku https://fhir-ehr.example.com/jwk_uri, which no
// issuer here allow-lists: it is never fetched (failTransport), the token is
// verified with the issuer's configured key of its kid, and refused when the
// configured keys lack that kid.
func TestSpecTokenJKUNotAllowListed(t *testing.T) {
	data, err := os.ReadFile("testdata/spec-jwks-public.json")
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Unix(1422568860, 0)
	verifier := func(jwks []byte) *Verifier {
		v, err := NewVerifier(Config{
			Issuers:    []Issuer{{ISS: "https://fhir-ehr.example.com/", JWKS: jwks}},
			BaseURL:    "https://cds.example.org",
			Now:        func() time.Time { return exp.Add(-time.Minute) },
			HTTPClient: &http.Client{Transport: failTransport{t}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if _, err := verifier(data).Verify(context.Background(), "Bearer "+specToken(t), "/cds-services/some-service"); err != nil {
		t.Fatalf("configured key: %v", err)
	}
	other := jwksJSON(t, map[string]crypto.PublicKey{"another-kid": &getKeys(t).ec384.PublicKey}, nil)
	_, err = verifier(other).Verify(context.Background(), "Bearer "+specToken(t), "/cds-services/some-service")
	if !errors.Is(err, ErrJKUNotAllowed) || !strings.Contains(err.Error(), `got jku "https://fhir-ehr.example.com/jwk_uri"`) {
		t.Fatalf("got %v, want ErrJKUNotAllowed naming the jku", err)
	}
}

func TestSandboxKeySet(t *testing.T) {
	issuers, err := LoadIssuers("testdata/issuers.json")
	if err != nil {
		t.Fatal(err)
	}
	var sb *Issuer
	for i := range issuers {
		if issuers[i].ISS == "https://sandbox.cds-hooks.org" {
			sb = &issuers[i]
		}
	}
	if sb == nil {
		t.Fatal("sandbox issuer not loaded")
	}
	keys, err := staticKeys(sb)
	if err != nil {
		t.Fatal(err)
	}
	k, ok := keys["44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"]
	if !ok || len(keys) != 1 {
		t.Fatalf("sandbox keys = %v", keys)
	}
	ec, ok := k.key.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P384() || k.alg != "ES384" || !k.fits("ES384") || k.fits("ES256") {
		t.Fatalf("sandbox key = %+v", k)
	}

}
