package api

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The body is read whole whatever Content-Length claims, and a body over
// the limit still fails with the MaxBytesReader's error (413).
func TestReadRequestBody(t *testing.T) {
	body := strings.Repeat("x", 5000)
	for _, tc := range []struct {
		name   string
		length int64
		limit  int64
		want   string
		tooBig bool
	}{
		{"exact length", 5000, 1 << 20, body, false},
		{"no length", -1, 1 << 20, body, false},
		{"length too small", 10, 1 << 20, body, false},
		{"length too large", 90000, 1 << 20, body, false},
		{"length over the limit", 5000, 100, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/cds-services/x", nil)
			r.Body = http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader(body)), tc.limit)
			r.ContentLength = tc.length
			got, err := readRequestBody(r, tc.limit)
			var tooBig *http.MaxBytesError
			switch {
			case tc.tooBig && !errors.As(err, &tooBig):
				t.Fatalf("err = %v, want *http.MaxBytesError", err)
			case !tc.tooBig && (err != nil || !bytes.Equal(got, []byte(tc.want))):
				t.Fatalf("read %d bytes, %v; want the %d-byte body", len(got), err, len(tc.want))
			}
		})
	}
}
