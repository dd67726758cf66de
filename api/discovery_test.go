package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestDiscoveryTrailingSlash: discovery answers the same with and without a
// trailing slash, with the CORS headers of every other route, and never
// with a redirect (which carries none, and which a browser client then
// treats as a failure), preflight included.
func TestDiscoveryTrailingSlash(t *testing.T) {
	t.Parallel()
	h, _ := newServer(t, nil)
	const origin = "https://sandbox.cds-hooks.org"
	get := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Origin", origin)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	want := get("/cds-services")
	if want.Code != http.StatusOK || want.Header().Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("GET /cds-services: %d %v", want.Code, want.Header())
	}
	got := get("/cds-services/")
	if got.Code != http.StatusOK || got.Header().Get("Location") != "" {
		t.Fatalf("GET /cds-services/: %d %v", got.Code, got.Header())
	}
	if got.Body.String() != want.Body.String() {
		t.Fatalf("bodies differ:\n%s\n%s", got.Body, want.Body)
	}
	for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Vary", "Content-Type"} {
		if got.Header().Get(h) != want.Header().Get(h) {
			t.Errorf("%s: %q with the slash, %q without", h, got.Header().Get(h), want.Header().Get(h))
		}
	}

	for _, path := range []string{"/cds-services", "/cds-services/"} {
		req := httptest.NewRequest(http.MethodOptions, path, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "GET")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != origin ||
			rec.Header().Get("Access-Control-Allow-Methods") == "" {
			t.Errorf("preflight %s: %d %v", path, rec.Code, rec.Header())
		}
	}
}
