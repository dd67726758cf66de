package auth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func FuzzVerify(f *testing.F) {
	c := newClock(t0)
	good := baseTok(f, t0)
	f.Add("Bearer " + good.sign(f))
	es384 := baseTok(f, t0)
	es384.header["kid"] = "ec384"
	f.Add("Bearer " + es384.sign(f))
	f.Add("Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2Voci5leGFtcGxlLm9yZy8ifQ.")
	f.Add("Bearer a.b.c")
	f.Add("bearer ..")
	f.Add("Basic dXNlcjpwYXNz")
	f.Add("")
	v := newTestVerifier(f, c, func(cfg *Config) {
		cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
			return nil, errors.New("no network in fuzzing")
		})}
		cfg.Issuers = append(cfg.Issuers, Issuer{ISS: "https://remote.example.org", JWKSURL: "https://remote.example.org/jwks", JKUAllow: []string{"https://remote.example.org/jku"}})
	})
	f.Fuzz(func(t *testing.T, header string) {
		p, err := v.Verify(context.Background(), header, testPath)
		if err == nil {
			if p == nil || (p.Issuer != testISS && p.Issuer != "https://multi.example.org") {
				t.Fatalf("accepted with principal %+v", p)
			}
			return
		}
		var ae *Error
		if !errors.As(err, &ae) || ae.Kind == nil {
			t.Fatalf("error %T %v is not a classified *Error", err, err)
		}
		if ch := Challenge(err); !strings.HasPrefix(ch, `Bearer realm="labelguard"`) {
			t.Fatalf("Challenge = %q", ch)
		}
		if tok := strings.TrimSpace(strings.TrimPrefix(header, "Bearer ")); len(tok) > 40 && strings.Contains(err.Error(), tok) {
			t.Fatalf("error text contains the token: %v", err)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func FuzzFHIRServerAllowed(f *testing.F) {
	allow := []string{"https://fhir.hospital.org/r4", "http://127.0.0.1:9090/fhir"}
	for _, s := range []string{"https://fhir.hospital.org/r4/Patient/1", "https://fhir.hospital.org/r4evil", "https://a@fhir.hospital.org/r4", "http://127.0.0.1:9090/fhir/x", "https://fhir.hospital.org/r4/%2e%2e/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if !FHIRServerAllowed(allow, raw) {
			return
		}
		// Whatever was allowed must, as an HTTP client would see it, go to
		// an allow-listed host under an allow-listed path.
		u, err := url.Parse(raw)
		if err != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("allowed %q: %v", raw, err)
		}
		host := strings.ToLower(u.Host)
		switch {
		case (host == "fhir.hospital.org" || host == "fhir.hospital.org." || host == "fhir.hospital.org:443" || host == "fhir.hospital.org.:443") && strings.EqualFold(u.Scheme, "https") &&
			(u.Path == "/r4" || strings.HasPrefix(u.Path, "/r4/")):
		case host == "127.0.0.1:9090" && strings.EqualFold(u.Scheme, "http") && (u.Path == "/fhir" || strings.HasPrefix(u.Path, "/fhir/")):
		default:
			t.Fatalf("allowed %q (host %q, path %q)", raw, u.Host, u.Path)
		}
		if strings.Contains(u.Path, "/../") || strings.HasSuffix(u.Path, "/..") {
			t.Fatalf("allowed dot segments in %q", raw)
		}
	})
}
