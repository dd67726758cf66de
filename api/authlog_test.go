package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestUnauthorizedLogLine: the log line of a 401 says which check failed,
// what it expected and what came (issuer, audience), so that an EHR
// configured with the wrong service URL is told from an attack; the client
// gets none of it, and the token is never logged.
func TestUnauthorizedLogLine(t *testing.T) {
	t.Parallel()
	h, logs, key := jwtServer(t)
	wrongAud := testBaseURL + "/cds/cds-services/jak-order-sign" // an EHR configured with a path prefix the service does not have
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": jwtIssuer, "aud": wrongAud, "jti": "jti-log-1", "sub": "dr-who",
		"iat": evalTime.Add(-time.Second).Unix(), "exp": evalTime.Add(5 * time.Minute).Unix(),
	})
	tok.Header["kid"] = "k1"
	signed, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/cds-services/jak-order-sign", strings.NewReader(string(requestFile(t, goldenCases[0]))))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+signed)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), wrongAud) {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var line map[string]any
	for l := range strings.SplitSeq(logs.String(), "\n") {
		if strings.Contains(l, `"msg":"authentication failed"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]string{
		"check":    "audience is not this endpoint",
		"iss":      `"` + jwtIssuer + `"`,
		"kid":      `"k1"`,
		"expected": `aud "` + testBaseURL + `/cds-services/jak-order-sign"`,
		"got":      `aud ["` + wrongAud + `"]`,
	}
	for k, w := range want {
		if line[k] != w {
			t.Errorf("%s = %v, want %s", k, line[k], w)
		}
	}
	for _, secret := range append(strings.Split(signed, ".")[1:], signed, "dr-who", "jti-log-1") {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("%q reached the log", secret)
		}
	}
}
