package cdshooks_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/labelguard/labelguard/cdshooks"
)

func TestErrorFor(t *testing.T) {
	t.Parallel()
	decode := func(body string) error {
		_, err := cdshooks.DecodeRequest(strings.NewReader(body), cdshooks.Limits{})
		return err
	}
	_, unsupported := cdshooks.DecodeContext("encounter-start", json.RawMessage(`{}`))
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"malformed", decode(`{`), `{"error":{"code":"malformed_json","message":"malformed json near byte offset 1"}}`},
		{"too deep", decode(strings.Repeat("[", 65)), `{"error":{"code":"too_deep","message":"json nesting exceeds the maximum depth of 64 at byte offset 64"}}`},
		{"invalid", decode(`{"hook":1}`), `{"error":{"code":"invalid_request","message":"hook: must be a string"}}`},
		{"unsupported hook", unsupported, `{"error":{"code":"unsupported_hook","message":"hook: unsupported hook"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body, ok := cdshooks.ErrorFor(tc.err)
			if !ok {
				t.Fatalf("ErrorFor(%v) not ok", tc.err)
			}
			got, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("body = %s, want %s", got, tc.want)
			}
		})
	}
	if _, ok := cdshooks.ErrorFor(errors.New("internal detail")); ok {
		t.Error("ErrorFor accepted an error that is not a *RequestError")
	}
}
