package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/auth"
)

const testBaseURL = "https://cds.hospital.example"

func ecJWKS(t *testing.T, key *ecdsa.PrivateKey, kid string) json.RawMessage {
	t.Helper()
	pad := func(b *big.Int) string {
		buf := make([]byte, 32)
		b.FillBytes(buf)
		return base64.RawURLEncoding.EncodeToString(buf)
	}
	b, err := json.Marshal(map[string]any{"keys": []any{map[string]any{
		"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
		"x": pad(key.PublicKey.X), "y": pad(key.PublicKey.Y),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHookCallsRequireAValidJWT(t *testing.T) {
	t.Parallel()
	h, logs, key := jwtServer(t)
	token := func(aud, jti string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
			"iss": jwtIssuer, "aud": aud, "jti": jti,
			"iat": evalTime.Add(-time.Second).Unix(), "exp": evalTime.Add(5 * time.Minute).Unix(),
		})
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	body := requestFile(t, goldenCases[0])
	call := func(authz string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/cds-services/jak-order-sign", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	good := token(testBaseURL+"/cds-services/jak-order-sign", "jti-1")
	tests := []struct {
		name   string
		authz  string
		status int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"garbage", "Bearer not.a.jwt", http.StatusUnauthorized},
		{"wrong audience", "Bearer " + token(testBaseURL+"/cds-services/jak-order-select", "jti-2"), http.StatusUnauthorized},
		{"valid", "Bearer " + good, http.StatusOK},
		{"replayed", "Bearer " + good, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		rec := call(tc.authz)
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, rec.Code, tc.status, rec.Body)
			continue
		}
		if tc.status == http.StatusUnauthorized {
			if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: no WWW-Authenticate challenge", tc.name)
			}
			if strings.Contains(rec.Body.String(), "aud") || strings.Contains(rec.Body.String(), "jti") {
				t.Errorf("%s: the 401 body gives detail: %s", tc.name, rec.Body)
			}
		}
	}
	if strings.Contains(logs.String(), good) {
		t.Error("the token reached the log")
	}
	// Discovery holds no patient data and stays open.
	if rec := do(t, h, http.MethodGet, "/cds-services", "", nil); rec.Code != http.StatusOK {
		t.Errorf("discovery with auth on: %d", rec.Code)
	}
}

// jwtIssuer is the issuer of the tokens jwtServer accepts, signed with the
// returned key under kid "k1".
const jwtIssuer = "https://ehr.hospital.example"

// jwtServer is the handler with authentication required, trusting
// jwtIssuer's key (a fresh P-256 key, kid "k1").
func jwtServer(t *testing.T) (http.Handler, *lockedBuffer, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{
		Issuers: []auth.Issuer{{ISS: jwtIssuer, JWKS: ecJWKS(t, key, "k1")}},
		BaseURL: testBaseURL,
		Now:     func() time.Time { return evalTime },
	})
	if err != nil {
		t.Fatal(err)
	}
	h, logs := newServer(t, func(c *api.Config) { c.Auth = v; c.AuthDisabled = false })
	return h, logs, key
}
