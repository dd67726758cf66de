package cdshooks_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/cdshooks"
)

// secret is planted in negative-case bodies; no error message may repeat it,
// because error messages reach logs and HTTP responses.
const secret = "SECRET-PATIENT-DATA"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureFiles lists every JSON fixture, for fuzz seeds.
func fixtureFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{"spec", "hooks-library", "crd-test-kit", "ahrq"} {
		m, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures found")
	}
	return files
}

// wantRequestError checks that err is a *RequestError for field wrapping
// sentinel, and that it does not leak the planted secret.
func wantRequestError(t *testing.T, err error, field string, sentinel error) {
	t.Helper()
	var re *cdshooks.RequestError
	if !errors.As(err, &re) {
		t.Fatalf("error = %v (%T), want *cdshooks.RequestError", err, err)
	}
	if re.Field != field {
		t.Errorf("Field = %q, want %q (error %q)", re.Field, field, err)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("errors.Is(%q, %v) = false", err, sentinel)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error %q leaks body content", err)
	}
}

func wantValidationError(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("Validate() = %v, want nil", err)
		}
		return
	}
	var ve *cdshooks.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate() = %v (%T), want *cdshooks.ValidationError at %q", err, err, field)
	}
	if ve.Field != field {
		t.Errorf("Field = %q, want %q (error %q)", ve.Field, field, err)
	}
}
