package auth

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestVerifyRules(t *testing.T) {
	k := getKeys(t)
	pubDER, err := x509.MarshalPKIXPublicKey(&k.ec256.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	jwt.RegisterSigningMethod("none", func() jwt.SigningMethod { return jwt.SigningMethodNone })

	tests := []struct {
		name   string
		mod    func(*tok)
		want   error  // nil: accepted
		detail string // expected Error.Detail, if any
	}{
		{name: "valid ES256", mod: func(*tok) {}},
		{name: "valid ES384", mod: func(tk *tok) {
			tk.method, tk.key, tk.header["kid"] = jwt.SigningMethodES384, k.ec384, "ec384"
		}},
		{name: "valid ES512", mod: func(tk *tok) {
			tk.method, tk.key, tk.header["kid"] = jwt.SigningMethodES512, k.ec521, "ec521"
		}},
		{name: "valid RS256", mod: func(tk *tok) {
			tk.method, tk.key, tk.header["kid"] = jwt.SigningMethodRS256, k.rsa, "rsa"
		}},
		{name: "valid PS256", mod: func(tk *tok) {
			tk.method, tk.key, tk.header["kid"] = jwt.SigningMethodPS256, k.rsa, "rsa"
		}},
		{name: "valid without typ", mod: func(tk *tok) { tk.header["typ"] = nil }},
		{name: "unknown claims and nbf in the past accepted", mod: func(tk *tok) {
			tk.claims["nbf"] = t0.Add(-time.Minute).Unix()
			tk.claims["foo"] = map[string]any{"bar": 1}
		}},
		{name: "alg none", want: ErrAlgorithm, mod: func(tk *tok) {
			tk.method, tk.key = jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType
		}},
		{name: "HS256 with the public key PEM as secret", want: ErrAlgorithm, mod: func(tk *tok) {
			tk.method, tk.key = jwt.SigningMethodHS256, pubPEM
		}},
		{name: "HS384 with the public key DER as secret", want: ErrAlgorithm, mod: func(tk *tok) {
			tk.method, tk.key = jwt.SigningMethodHS384, pubDER
		}},
		{name: "EdDSA not allowed", want: ErrAlgorithm, mod: func(tk *tok) {
			tk.header["alg"] = "EdDSA" // signature made with ES256; alg refused first
		}},
		{name: "unknown alg", want: ErrAlgorithm, mod: func(tk *tok) { tk.header["alg"] = "ES999" }},
		{name: "key does not fit alg (RS256 header, EC key id)", want: ErrKeyMismatch, mod: func(tk *tok) {
			tk.method, tk.key = jwt.SigningMethodRS256, k.rsa
		}},
		{name: "JWK alg differs from token alg", want: ErrKeyMismatch, mod: func(tk *tok) {
			// ec384 is published with alg ES384 only; ES384 it is, but the
			// kid is claimed for an ES256 token signed with the P-256 key.
			tk.header["kid"] = "ec384"
		}},
		{name: "wrong signing key", want: ErrSignature, mod: func(tk *tok) { tk.key = k.other256 }},
		{name: "unknown iss", want: ErrUnknownIssuer, mod: func(tk *tok) { tk.claims["iss"] = "https://evil.example.org/" }},
		{name: "iss without trailing slash", want: ErrUnknownIssuer, mod: func(tk *tok) { tk.claims["iss"] = "https://ehr.example.org" }},
		{name: "missing iss", want: ErrMissingClaim, detail: "iss", mod: func(tk *tok) { delete(tk.claims, "iss") }},
		{name: "missing kid", want: ErrHeader, detail: "kid", mod: func(tk *tok) { tk.header["kid"] = nil }},
		{name: "unknown kid, no jwksUrl", want: ErrUnknownKey, mod: func(tk *tok) { tk.header["kid"] = "nope" }},
		{name: "typ not JWT", want: ErrHeader, detail: "typ", mod: func(tk *tok) { tk.header["typ"] = "at+jwt" }},
		{name: "crit header", want: ErrHeader, detail: "crit", mod: func(tk *tok) { tk.header["crit"] = []string{"exp"} }},
		// Epic sends a jku with every token: one that is not allow-listed is
		// never fetched, and a kid of the issuer's configured keys verifies.
		{name: "jku not allow-listed, kid configured (Epic)", mod: func(tk *tok) {
			tk.method, tk.key, tk.header["kid"] = jwt.SigningMethodRS384, k.rsa, "rsa"
			tk.header["jku"] = "https://evil.example.org/jwks"
		}},
		{name: "jku not allow-listed, kid unknown", want: ErrJKUNotAllowed, mod: func(tk *tok) {
			tk.header["jku"], tk.header["kid"] = "https://evil.example.org/jwks", "nope"
		}},
		{name: "jku not allow-listed, configured kid with another key", want: ErrSignature, mod: func(tk *tok) {
			tk.header["jku"], tk.key = "https://evil.example.org/jwks", k.other256
		}},
		{name: "wrong aud", want: ErrAudience, mod: func(tk *tok) { tk.claims["aud"] = "https://cds.hospital.org/cds-services/other" }},
		{name: "aud of another host", want: ErrAudience, mod: func(tk *tok) { tk.claims["aud"] = "https://evil.org/cds-services/jak-order-sign" }},
		{name: "aud with trailing slash", want: ErrAudience, mod: func(tk *tok) { tk.claims["aud"] = testAud + "/" }},
		{name: "aud array containing the URL", mod: func(tk *tok) { tk.claims["aud"] = []string{"https://x.example/", testAud} }},
		{name: "aud array without the URL", want: ErrAudience, mod: func(tk *tok) { tk.claims["aud"] = []string{"https://x.example/"} }},
		{name: "missing aud", want: ErrMissingClaim, detail: "aud", mod: func(tk *tok) { delete(tk.claims, "aud") }},
		{name: "expired beyond skew", want: ErrExpired, mod: func(tk *tok) {
			tk.claims["iat"] = t0.Add(-10 * time.Minute).Unix()
			tk.claims["exp"] = t0.Add(-61 * time.Second).Unix()
		}},
		{name: "expired within skew", mod: func(tk *tok) {
			tk.claims["iat"] = t0.Add(-10 * time.Minute).Unix()
			tk.claims["exp"] = t0.Add(-30 * time.Second).Unix()
		}},
		{name: "iat in the future", want: ErrIssuedInFuture, mod: func(tk *tok) { tk.claims["iat"] = t0.Add(2 * time.Minute).Unix() }},
		{name: "iat in the future within skew", mod: func(tk *tok) { tk.claims["iat"] = t0.Add(30 * time.Second).Unix() }},
		{name: "nbf in the future", want: ErrNotYetValid, mod: func(tk *tok) { tk.claims["nbf"] = t0.Add(2 * time.Minute).Unix() }},
		{name: "missing exp", want: ErrMissingClaim, detail: "exp", mod: func(tk *tok) { delete(tk.claims, "exp") }},
		{name: "missing iat", want: ErrMissingClaim, detail: "iat", mod: func(tk *tok) { delete(tk.claims, "iat") }},
		{name: "missing jti", want: ErrMissingClaim, detail: "jti", mod: func(tk *tok) { delete(tk.claims, "jti") }},
		{name: "oversized jti", want: ErrMalformed, detail: "jti", mod: func(tk *tok) { tk.claims["jti"] = strings.Repeat("j", 300) }},
		{name: "exp too far ahead", want: ErrLifetime, mod: func(tk *tok) { tk.claims["exp"] = t0.Add(3 * time.Hour).Unix() }},
		{name: "exp of the wrong type", want: ErrMalformed, mod: func(tk *tok) { tk.claims["exp"] = "tomorrow" }},
		{name: "tenant of the wrong type", want: ErrMalformed, mod: func(tk *tok) { tk.claims["tenant"] = 42 }},
		{name: "tenant matches", mod: func(tk *tok) {
			tk.claims["iss"], tk.claims["tenant"] = "https://multi.example.org", "t2"
		}},
		{name: "tenant mismatch", want: ErrTenant, mod: func(tk *tok) {
			tk.claims["iss"], tk.claims["tenant"] = "https://multi.example.org", "t3"
		}},
		{name: "tenant missing", want: ErrTenant, mod: func(tk *tok) { tk.claims["iss"] = "https://multi.example.org" }},
	}
	c := newClock(t0)
	v := newTestVerifier(t, c, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tk := baseTok(t, t0)
			tc.mod(&tk)
			raw := tk.sign(t)
			p, err := v.Verify(context.Background(), "Bearer "+raw, testPath)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if p.JTI != tk.claims["jti"] || p.Subject != "secret-sub-value" {
					t.Errorf("principal = %+v", p)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify error = %v, want %v", err, tc.want)
			}
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("error %T is not *Error", err)
			}
			if tc.detail != "" && ae.Detail != tc.detail {
				t.Errorf("Detail = %q, want %q", ae.Detail, tc.detail)
			}
			msg := err.Error()
			for _, secret := range []string{raw, strings.Split(raw, ".")[1], strings.Split(raw, ".")[2], "secret-sub-value", jtiOf(tk)} {
				if len(secret) > 3 && strings.Contains(msg, secret) {
					t.Errorf("error text leaks token data: %q", msg)
				}
			}
			if got := Challenge(err); got != `Bearer realm="labelguard", error="invalid_token"` {
				t.Errorf("Challenge = %q", got)
			}
			if IsServerSide(err) {
				t.Errorf("IsServerSide(%v) = true", err)
			}
		})
	}
}

func TestVerifyPrincipal(t *testing.T) {
	c := newClock(t0)
	v := newTestVerifier(t, c, nil)
	tk := baseTok(t, t0)
	tk.claims["iss"], tk.claims["tenant"] = "https://multi.example.org", "t1"
	p, err := v.Verify(context.Background(), "bearer  "+tk.sign(t), testPath)
	if err != nil {
		t.Fatal(err)
	}
	if p.Issuer != "https://multi.example.org" || p.Tenant != "t1" || p.Subject != "secret-sub-value" {
		t.Errorf("principal = %+v", p)
	}
	if !p.AllowsFHIRServer("https://t1.example.org/fhir/Patient/1") || p.AllowsFHIRServer("https://t2.example.org/fhir") {
		t.Errorf("tenant t1 allow-list wrong: %v", p.FHIRServers)
	}
	p.FHIRServers[0] = "https://mutated.example.org"
	tk = baseTok(t, t0)
	tk.claims["iss"], tk.claims["tenant"] = "https://multi.example.org", "t1"
	if p2, err := v.Verify(context.Background(), "Bearer "+tk.sign(t), testPath); err != nil || p2.FHIRServers[0] != "https://t1.example.org/fhir" {
		t.Errorf("configuration shared with a principal: %v %v", p2, err)
	}
	var nilP *Principal
	if nilP.AllowsFHIRServer(testFHIR) {
		t.Error("nil principal allows a FHIR server")
	}
	ctx := NewContext(context.Background(), p)
	if got, ok := FromContext(ctx); !ok || got != p {
		t.Error("FromContext did not return the principal")
	}
	if _, ok := FromContext(context.Background()); ok {
		t.Error("FromContext on an empty context")
	}
}

func TestVerifyReplay(t *testing.T) {
	c := newClock(t0)
	v := newTestVerifier(t, c, nil)
	tk := baseTok(t, t0)
	raw := tk.sign(t)
	if _, err := v.Verify(context.Background(), "Bearer "+raw, testPath); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), "Bearer "+raw, testPath); !errors.Is(err, ErrReplay) {
		t.Fatalf("second use: %v, want ErrReplay", err)
	}
	// Same jti, different token (later iat): still a replay.
	c.add(10 * time.Second)
	tk2 := baseTok(t, c.now())
	tk2.claims["jti"] = tk.claims["jti"]
	if _, err := v.Verify(context.Background(), "Bearer "+tk2.sign(t), testPath); !errors.Is(err, ErrReplay) {
		t.Fatalf("reused jti: %v, want ErrReplay", err)
	}
	// A different jti is accepted.
	if _, err := v.Verify(context.Background(), "Bearer "+baseTok(t, c.now()).sign(t), testPath); err != nil {
		t.Fatalf("fresh jti: %v", err)
	}
	// Same jti from another issuer is a different token.
	tk3 := baseTok(t, c.now())
	tk3.claims["jti"] = tk.claims["jti"]
	tk3.claims["iss"], tk3.claims["tenant"] = "https://multi.example.org", "t1"
	if _, err := v.Verify(context.Background(), "Bearer "+tk3.sign(t), testPath); err != nil {
		t.Fatalf("same jti, other issuer: %v", err)
	}
}

func TestVerifyReplayCacheFailureFailsClosed(t *testing.T) {
	c := newClock(t0)
	v := newTestVerifier(t, c, func(cfg *Config) { cfg.Replay = NewMemoryReplayCache(1, c.now) })
	if _, err := v.Verify(context.Background(), "Bearer "+baseTok(t, t0).sign(t), testPath); err != nil {
		t.Fatal(err)
	}
	_, err := v.Verify(context.Background(), "Bearer "+baseTok(t, t0).sign(t), testPath)
	if !errors.Is(err, ErrReplayCheck) || !errors.Is(err, ErrReplayCacheFull) || !IsServerSide(err) {
		t.Fatalf("full cache: %v, want ErrReplayCheck", err)
	}
}

func TestVerifyAuthorizationHeader(t *testing.T) {
	c := newClock(t0)
	v := newTestVerifier(t, c, nil)
	good := baseTok(t, t0).sign(t)
	tests := []struct {
		name, header string
		want         error
	}{
		{"missing", "", ErrNoToken},
		{"blank", "   ", ErrNoToken},
		{"basic scheme", "Basic dXNlcjpwYXNz", ErrNoToken},
		{"token without scheme", good, ErrNoToken},
		{"bearer without token", "Bearer", ErrMalformed},
		{"bearer with spaces only", "Bearer    ", ErrMalformed},
		{"one segment", "Bearer abc", ErrMalformed},
		{"two segments", "Bearer abc.def", ErrMalformed},
		{"four segments", "Bearer a.b.c.d", ErrMalformed},
		{"JWE (five segments)", "Bearer a.b.c.d.e", ErrMalformed},
		{"garbage segments", "Bearer a.b.c", ErrMalformed},
		{"bad characters", "Bearer " + good[:10] + "!" + good[11:], ErrMalformed},
		{"padding", "Bearer " + good + "=", ErrMalformed},
		{"trailing comma", "Bearer " + good + ",", ErrMalformed},
		{"oversized", "Bearer " + strings.Repeat("a", maxTokenBytes) + ".b.c", ErrMalformed},
		{"header not JSON", "Bearer Zm9v." + strings.SplitN(good, ".", 2)[1], ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tc.header, testPath)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify(%.40q) = %v, want %v", tc.header, err, tc.want)
			}
			want := `Bearer realm="labelguard", error="invalid_token"`
			if tc.want == ErrNoToken {
				want = `Bearer realm="labelguard"`
			}
			if got := Challenge(err); got != want {
				t.Errorf("Challenge = %q, want %q", got, want)
			}
		})
	}
	// Through an *http.Request.
	r, _ := http.NewRequest(http.MethodPost, "https://cds.hospital.org"+testPath, nil)
	if _, err := v.VerifyRequest(r, testPath); !errors.Is(err, ErrNoToken) {
		t.Errorf("no header: %v", err)
	}
	r.Header.Add("Authorization", "Bearer "+good)
	r.Header.Add("Authorization", "Bearer "+baseTok(t, t0).sign(t))
	if _, err := v.VerifyRequest(r, testPath); !errors.Is(err, ErrMalformed) {
		t.Errorf("two headers: %v", err)
	}
	r.Header.Set("Authorization", "Bearer "+good)
	if _, err := v.VerifyRequest(r, testPath); err != nil {
		t.Errorf("one header: %v", err)
	}
	if _, err := v.Verify(context.Background(), "Bearer "+good, "cds-services/x"); err == nil {
		t.Error("relative endpoint path accepted")
	}
}

func TestBaseURLTrailingSlash(t *testing.T) {
	for _, base := range []string{"https://cds.hospital.org", "https://cds.hospital.org/"} {
		c := newClock(t0)
		v := newTestVerifier(t, c, func(cfg *Config) { cfg.BaseURL = base })
		if _, err := v.Verify(context.Background(), "Bearer "+baseTok(t, t0).sign(t), testPath); err != nil {
			t.Errorf("base %q: %v", base, err)
		}
	}
	// Behind an ingress with a path prefix.
	c := newClock(t0)
	v := newTestVerifier(t, c, func(cfg *Config) { cfg.BaseURL = "https://gw.hospital.org/labelguard/" })
	tk := baseTok(t, t0)
	tk.claims["aud"] = "https://gw.hospital.org/labelguard/cds-services"
	if _, err := v.Verify(context.Background(), "Bearer "+tk.sign(t), "/cds-services"); err != nil {
		t.Errorf("prefixed base: %v", err)
	}
}

func TestClockSkewConfigurable(t *testing.T) {
	c := newClock(t0)
	v := newTestVerifier(t, c, func(cfg *Config) { cfg.ClockSkew = 5 * time.Second })
	tk := baseTok(t, t0)
	tk.claims["iat"] = t0.Add(-10 * time.Minute).Unix()
	tk.claims["exp"] = t0.Add(-30 * time.Second).Unix() // within the default skew, not within 5 s
	if _, err := v.Verify(context.Background(), "Bearer "+tk.sign(t), testPath); !errors.Is(err, ErrExpired) {
		t.Fatalf("got %v, want ErrExpired", err)
	}
}

func TestNewVerifierErrors(t *testing.T) {
	c := newClock(t0)
	good := testIssuers(t)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no issuers", Config{BaseURL: testBase}, "no trusted issuers"},
		{"no base URL", Config{Issuers: good}, "base URL: required"},
		{"relative base URL", Config{Issuers: good, BaseURL: "cds.hospital.org"}, "base URL"},
		{"base URL with query", Config{Issuers: good, BaseURL: "https://cds.hospital.org/?x=1"}, "base URL"},
		{"negative skew", Config{Issuers: good, BaseURL: testBase, ClockSkew: -time.Second}, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Now = c.now
			_, err := NewVerifier(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewVerifier error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func jtiOf(tk tok) string { s, _ := tk.claims["jti"].(string); return s }

// TestVerifyConformanceIssuer: an issuer entry flagged conformance in the
// trusted-issuers file marks its principals; other entries, including
// another tenant of the same iss, do not.
func TestVerifyConformanceIssuer(t *testing.T) {
	c := newClock(t0)
	v := newTestVerifier(t, c, func(cfg *Config) { cfg.Issuers[2].Conformance = true })
	for tenant, want := range map[string]bool{"t1": false, "t2": true} {
		tk := baseTok(t, t0)
		tk.claims["iss"], tk.claims["tenant"] = "https://multi.example.org", tenant
		p, err := v.Verify(context.Background(), "Bearer "+tk.sign(t), testPath)
		if err != nil {
			t.Fatal(err)
		}
		if p.Conformance != want {
			t.Errorf("tenant %s: Conformance = %v, want %v", tenant, p.Conformance, want)
		}
	}
}
