package auth

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestErrorSaysExpectedAndGot: a refused token's error, and its log
// attributes, name the check that failed, what it expected and what came,
// so that whoever configures the EHR sees the mismatch; never the token,
// its signature, sub or jti.
func TestErrorSaysExpectedAndGot(t *testing.T) {
	c := newClock(t0)
	v := newTestVerifier(t, c, nil)
	for _, tc := range []struct {
		name          string
		kind          error
		mod           func(*tok)
		expected, got string
	}{
		{"audience", ErrAudience, func(tk *tok) { tk.claims["aud"] = testAud + "/" },
			`aud "` + testAud + `"`, `aud ["` + testAud + `/"]`},
		{"issuer", ErrUnknownIssuer, func(tk *tok) { tk.claims["iss"] = "https://ehr.example.org" },
			`iss in ["https://ehr.example.org/", "https://multi.example.org"]`, `iss "https://ehr.example.org"`},
		{"tenant", ErrTenant, func(tk *tok) { tk.claims["iss"], tk.claims["tenant"] = "https://multi.example.org", "t3" },
			`tenant in ["t1", "t2"]`, `tenant "t3"`},
		{"expired", ErrExpired, func(tk *tok) {
			tk.claims["iat"], tk.claims["exp"] = t0.Add(-time.Hour).Unix(), t0.Add(-10*time.Minute).Unix()
		}, "exp after 2026-03-01T11:59:00Z", "exp 2026-03-01T11:50:00Z"},
		{"not yet valid", ErrNotYetValid, func(tk *tok) { tk.claims["nbf"] = t0.Add(5 * time.Minute).Unix() },
			"nbf before 2026-03-01T12:01:00Z", "nbf 2026-03-01T12:05:00Z"},
		{"lifetime", ErrLifetime, func(tk *tok) { tk.claims["exp"] = t0.Add(3 * time.Hour).Unix() },
			"exp at most 2026-03-01T13:01:00Z", "exp 2026-03-01T15:00:00Z"},
		{"algorithm", ErrAlgorithm, func(tk *tok) { tk.method, tk.key = jwt.SigningMethodHS256, []byte("k") },
			`alg in ["ES256", "ES384", "ES512", "RS256", "RS384", … (4 more)]`, `alg "HS256"`},
		{"unknown kid", ErrUnknownKey, func(tk *tok) { tk.header["kid"] = "nope" },
			`a kid of the configured keys ["ec256", "ec384", "ec521", "rsa"]`, ""},
		{"key does not fit", ErrKeyMismatch, func(tk *tok) { tk.method, tk.key = jwt.SigningMethodRS256, getKeys(t).rsa },
			`a key for alg "RS256"`, `key EC P-256`},
		{"missing jti", ErrMissingClaim, func(tk *tok) { delete(tk.claims, "jti") }, "a jti claim", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tk := baseTok(t, t0)
			tc.mod(&tk)
			raw := tk.sign(t)
			_, err := v.Verify(context.Background(), "Bearer "+raw, testPath)
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tc.kind) {
				t.Fatalf("error %v, want %v", err, tc.kind)
			}
			if e.Expected != tc.expected || e.Got != tc.got {
				t.Fatalf("expected %q got %q, want %q and %q", e.Expected, e.Got, tc.expected, tc.got)
			}
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).LogAttrs(context.Background(), slog.LevelWarn, "authentication failed", LogAttrs(err)...)
			line := buf.String()
			if !strings.Contains(line, "check=") || (tc.expected != "" && !strings.Contains(line, "expected=")) {
				t.Fatalf("log line %s", line)
			}
			for _, secret := range []string{raw, strings.Split(raw, ".")[1], strings.Split(raw, ".")[2], "secret-sub-value", jtiOf(tk)} {
				if len(secret) > 3 && (strings.Contains(line, secret) || strings.Contains(err.Error(), secret)) {
					t.Fatalf("secret in the log: %s", line)
				}
			}
		})
	}
}
