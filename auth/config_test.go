package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadIssuers(t *testing.T) {
	issuers, err := LoadIssuers("testdata/issuers.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(issuers) != 2 {
		t.Fatalf("got %d issuers", len(issuers))
	}
	if want := filepath.Join("testdata", "sandbox-jwks-public.json"); issuers[0].JWKSFile != want {
		t.Errorf("jwksFile = %q, want it resolved to %q", issuers[0].JWKSFile, want)
	}
	if issuers[1].Tenant != "2ddd6c3a-8e9a-44c6-a305-52111ad302a2" || len(issuers[1].JKUAllow) != 1 {
		t.Errorf("issuer = %+v", issuers[1])
	}
}

func TestLoadIssuersErrors(t *testing.T) {
	spec, err := os.ReadFile("testdata/spec-jwks-public.json")
	if err != nil {
		t.Fatal(err)
	}
	private, err := os.ReadFile("testdata/spec-jwk-private.json")
	if err != nil {
		t.Fatal(err)
	}
	jwks := string(spec)
	tests := []struct {
		name, file, want string
	}{
		{"not JSON", `{`, "unexpected EOF"},
		{"unknown field", `{"issuers":[{"iss":"a","jwks_url":"https://a/k"}]}`, `unknown field "jwks_url"`},
		{"trailing data", `{"issuers":[{"iss":"a","jwks":` + jwks + `}]} {}`, "unexpected data"},
		{"no issuers", `{"issuers":[]}`, `"issuers" is empty`},
		{"missing iss", `{"issuers":[{"jwks":` + jwks + `}]}`, "iss: required"},
		{"no key source", `{"issuers":[{"iss":"a"}]}`, "one of jwksUrl, jwksFile, jwks or jkuAllow is required"},
		{"http jwksUrl", `{"issuers":[{"iss":"a","jwksUrl":"http://ehr.example.org/jwks"}]}`, "jwksUrl: must use https"},
		{"jwksUrl with userinfo", `{"issuers":[{"iss":"a","jwksUrl":"https://u:p@ehr.example.org/jwks"}]}`, "jwksUrl: userinfo"},
		{"relative jkuAllow", `{"issuers":[{"iss":"a","jkuAllow":["/jwks"]}]}`, "jkuAllow[0]: must be an absolute URL"},
		{"both jwks and jwksFile", `{"issuers":[{"iss":"a","jwksFile":"x.json","jwks":` + jwks + `}]}`, "jwksFile and jwks: set only one"},
		{"missing jwksFile", `{"issuers":[{"iss":"a","jwksFile":"nope.json"}]}`, "jwksFile:"},
		{"private key in jwks", `{"issuers":[{"iss":"a","jwks":{"keys":[` + string(private) + `]}}]}`, "private key"},
		{"symmetric key in jwks", `{"issuers":[{"iss":"a","jwks":{"keys":[{"kty":"oct","kid":"s","k":"c2VjcmV0"}]}}]}`, "jwks:"},
		{"key without kid", `{"issuers":[{"iss":"a","jwks":{"keys":[{"kty":"EC","crv":"P-384","x":"46SDH7Znh821wblCBglA61sNE9ZrHYKKt3qRtRTmSXyOI_FIGBLWrWa0GPUkDCEk","y":"XMcRuuoGW7CXjQdy-F5i3FeBE0x9hPLdeFdSoDd3ELmx404tLX0VRRcqzAsPhXcI"}]}}]}`, "no kid"},
		{"HMAC alg on key", `{"issuers":[{"iss":"a","jwks":{"keys":[{"kty":"EC","kid":"k","alg":"HS256","crv":"P-384","x":"46SDH7Znh821wblCBglA61sNE9ZrHYKKt3qRtRTmSXyOI_FIGBLWrWa0GPUkDCEk","y":"XMcRuuoGW7CXjQdy-F5i3FeBE0x9hPLdeFdSoDd3ELmx404tLX0VRRcqzAsPhXcI"}]}}]}`, "not allowed"},
		{"bad fhirServers", `{"issuers":[{"iss":"a","jwks":` + jwks + `,"fhirServers":["http://fhir.example.org/r4"]}]}`, "fhirServers: entry 0"},
		{"duplicate iss without tenant", `{"issuers":[{"iss":"a","jwks":` + jwks + `},{"iss":"a","jwks":` + jwks + `,"tenant":"t"}]}`, "tenant: required when several entries share an iss"},
		{"duplicate tenant", `{"issuers":[{"iss":"a","jwks":` + jwks + `,"tenant":"t"},{"iss":"a","jwks":` + jwks + `,"tenant":"t"}]}`, "duplicate tenant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "issuers.json")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadIssuers(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadIssuers error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	if _, err := LoadIssuers(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestWeakRSAKeyRefused(t *testing.T) {
	// A 1024-bit RSA modulus (kid "weak").
	weak := `{"keys":[{"kty":"RSA","kid":"weak","e":"AQAB","n":"` + strings.Repeat("u", 170) + `w"}]}`
	if _, err := parseJWKS([]byte(weak), true); err == nil || !strings.Contains(err.Error(), "at least 2048") {
		t.Fatalf("weak RSA key: %v", err)
	}
}
