package cdshooks_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/labelguard/labelguard/cdshooks"
)

func TestDecodeRequestSpecExample(t *testing.T) {
	t.Parallel()
	req, err := cdshooks.DecodeRequest(bytes.NewReader(readFixture(t, "spec/request-patient-view.json")), cdshooks.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := &cdshooks.Request{
		Hook:         "patient-view",
		HookInstance: "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
		FHIRServer:   "http://hooks.smarthealthit.org:9080",
		FHIRAuthorization: &cdshooks.FHIRAuthorization{
			AccessToken: "some-opaque-fhir-access-token",
			TokenType:   "Bearer",
			ExpiresIn:   300,
			Scope:       "user/Patient.read user/Observation.read",
			Subject:     "cds-service4",
		},
	}
	opts := cmpopts.IgnoreFields(cdshooks.Request{}, "Context", "Prefetch")
	if diff := cmp.Diff(want, req, opts); diff != "" {
		t.Errorf("request mismatch (-want +got):\n%s", diff)
	}
	var ctx map[string]string
	if err := json.Unmarshal(req.Context, &ctx); err != nil || ctx["patientId"] != "1288992" {
		t.Errorf("context = %s, %v", req.Context, err)
	}
	if _, st := req.Prefetched("patientToGreet"); st != cdshooks.PrefetchPresent {
		t.Errorf("Prefetched(patientToGreet) status = %v, want present", st)
	}
}

func TestDecodeRequestFixtures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, hook string
		hasAuth    bool
	}{
		{"spec/request-patient-view.json", "patient-view", true},
		{"spec/request-with-extension.json", "patient-view", false},
		{"crd-test-kit/order_select_hook_request.json", "order-select", true},
		{"crd-test-kit/order_sign_hook_request.json", "order-sign", true},
		{"ahrq/unhealthy_patient.json", "patient-view", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			req, err := cdshooks.DecodeRequest(bytes.NewReader(readFixture(t, tc.file)), cdshooks.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if req.Hook != tc.hook || req.HookInstance == "" || len(req.Context) == 0 {
				t.Errorf("hook %q, hookInstance %q, context %d bytes", req.Hook, req.HookInstance, len(req.Context))
			}
			if (req.FHIRAuthorization != nil) != tc.hasAuth {
				t.Errorf("fhirAuthorization present = %v, want %v", req.FHIRAuthorization != nil, tc.hasAuth)
			}
			if len(req.Deviations) != 0 {
				t.Errorf("unexpected deviations %v", req.Deviations)
			}
		})
	}
}

func TestDecodeRequestExtension(t *testing.T) {
	t.Parallel()
	req, err := cdshooks.DecodeRequest(bytes.NewReader(readFixture(t, "spec/request-with-extension.json")), cdshooks.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var ext map[string]string
	if err := json.Unmarshal(req.Extension, &ext); err != nil || ext["com.example.timestamp"] == "" {
		t.Errorf("extension = %s, %v", req.Extension, err)
	}
}

func TestPrefetchNullIsNotAbsent(t *testing.T) {
	t.Parallel()
	body := `{"hook":"patient-view","hookInstance":"x","context":{},
		"prefetch":{"patient":{"resourceType":"Patient","id":"1"},"conditions":null}}`
	req, err := cdshooks.DecodeRequest(strings.NewReader(body), cdshooks.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(req.Prefetch["conditions"]); got != "null" {
		t.Errorf("Prefetch[conditions] = %q, want \"null\"", got)
	}
	for key, want := range map[string]cdshooks.PrefetchStatus{
		"patient":    cdshooks.PrefetchPresent,
		"conditions": cdshooks.PrefetchNull,
		"meds":       cdshooks.PrefetchAbsent,
	} {
		if _, got := req.Prefetched(key); got != want {
			t.Errorf("Prefetched(%q) = %v, want %v", key, got, want)
		}
	}
	out, err := json.Marshal(req)
	if err != nil || !bytes.Contains(out, []byte(`"conditions":null`)) {
		t.Errorf("re-marshal lost the null prefetch: %s, %v", out, err)
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	t.Parallel()
	deep := func(n int) string {
		return `{"hook":"patient-view","hookInstance":"x","context":{"a":` +
			strings.Repeat("[", n) + strings.Repeat("]", n) + `}}`
	}
	auth := `"fhirAuthorization":{"access_token":"` + secret + `","token_type":"Bearer","expires_in":300,"scope":"s","subject":"c"}`
	for _, tc := range []struct {
		name, body string
		limits     cdshooks.Limits
		field      string
		sentinel   error
	}{
		{"empty body", ``, cdshooks.Limits{}, "", cdshooks.ErrMalformedJSON},
		{"malformed", `{"hook":"patient-view", "` + secret + `}`, cdshooks.Limits{}, "", cdshooks.ErrMalformedJSON},
		{"bare word", secret, cdshooks.Limits{}, "", cdshooks.ErrMalformedJSON},
		{"trailing garbage", `{"hook":"patient-view","hookInstance":"x","context":{}} ` + secret, cdshooks.Limits{}, "", cdshooks.ErrMalformedJSON},
		{"two objects", `{"hook":"a","hookInstance":"x","context":{}}{}`, cdshooks.Limits{}, "", cdshooks.ErrMalformedJSON},
		{"top-level array", `["` + secret + `"]`, cdshooks.Limits{}, "", cdshooks.ErrInvalid},
		{"top-level null", `null`, cdshooks.Limits{}, "", cdshooks.ErrInvalid},
		{"hook missing", `{"hookInstance":"x","context":{}}`, cdshooks.Limits{}, "hook", cdshooks.ErrInvalid},
		{"hook number", `{"hook":42,"hookInstance":"x","context":{}}`, cdshooks.Limits{}, "hook", cdshooks.ErrInvalid},
		{"hook null", `{"hook":null,"hookInstance":"x","context":{}}`, cdshooks.Limits{}, "hook", cdshooks.ErrInvalid},
		{"hook empty", `{"hook":"","hookInstance":"x","context":{}}`, cdshooks.Limits{}, "hook", cdshooks.ErrInvalid},
		{"hookInstance missing", `{"hook":"patient-view","context":{"patientId":"` + secret + `"}}`, cdshooks.Limits{}, "hookInstance", cdshooks.ErrInvalid},
		{"hookInstance object", `{"hook":"patient-view","hookInstance":{},"context":{}}`, cdshooks.Limits{}, "hookInstance", cdshooks.ErrInvalid},
		{"context missing", `{"hook":"patient-view","hookInstance":"x"}`, cdshooks.Limits{}, "context", cdshooks.ErrInvalid},
		{"context array", `{"hook":"patient-view","hookInstance":"x","context":["` + secret + `"]}`, cdshooks.Limits{}, "context", cdshooks.ErrInvalid},
		{"context null", `{"hook":"patient-view","hookInstance":"x","context":null}`, cdshooks.Limits{}, "context", cdshooks.ErrInvalid},
		{"prefetch array", `{"hook":"patient-view","hookInstance":"x","context":{},"prefetch":[]}`, cdshooks.Limits{}, "prefetch", cdshooks.ErrInvalid},
		{"extension string", `{"hook":"patient-view","hookInstance":"x","context":{},"extension":"` + secret + `"}`, cdshooks.Limits{}, "extension", cdshooks.ErrInvalid},
		{"fhirServer number", `{"hook":"patient-view","hookInstance":"x","context":{},"fhirServer":1}`, cdshooks.Limits{}, "fhirServer", cdshooks.ErrInvalid},
		{"fhirServer javascript", `{"hook":"patient-view","hookInstance":"x","context":{},"fhirServer":"javascript:alert(1)//` + secret + `"}`, cdshooks.Limits{}, "fhirServer", cdshooks.ErrInvalid},
		{"fhirServer relative", `{"hook":"patient-view","hookInstance":"x","context":{},"fhirServer":"/fhir"}`, cdshooks.Limits{}, "fhirServer", cdshooks.ErrInvalid},
		{"auth without server", `{"hook":"patient-view","hookInstance":"x","context":{},` + auth + `}`, cdshooks.Limits{}, "fhirServer", cdshooks.ErrInvalid},
		{"auth not object", `{"hook":"patient-view","hookInstance":"x","context":{},"fhirServer":"https://f.example","fhirAuthorization":"` + secret + `"}`, cdshooks.Limits{}, "fhirAuthorization", cdshooks.ErrInvalid},
		{"auth no token", `{"hook":"patient-view","hookInstance":"x","context":{},"fhirServer":"https://f.example","fhirAuthorization":{"token_type":"Bearer"}}`, cdshooks.Limits{}, "fhirAuthorization.access_token", cdshooks.ErrInvalid},
		{"auth MAC token", `{"hook":"patient-view","hookInstance":"x","context":{},"fhirServer":"https://f.example","fhirAuthorization":{"access_token":"` + secret + `","token_type":"MAC"}}`, cdshooks.Limits{}, "fhirAuthorization.token_type", cdshooks.ErrInvalid},
		{"auth expires_in string", `{"hook":"patient-view","hookInstance":"x","context":{},"fhirServer":"https://f.example","fhirAuthorization":{"access_token":"` + secret + `","token_type":"Bearer","expires_in":"300"}}`, cdshooks.Limits{}, "fhirAuthorization.expires_in", cdshooks.ErrInvalid},
		{"auth expires_in fraction", `{"hook":"patient-view","hookInstance":"x","context":{},"fhirServer":"https://f.example","fhirAuthorization":{"access_token":"t","token_type":"Bearer","expires_in":1.5}}`, cdshooks.Limits{}, "fhirAuthorization.expires_in", cdshooks.ErrInvalid},
		{"nesting over default", deep(cdshooks.DefaultMaxDepth), cdshooks.Limits{}, "", cdshooks.ErrTooDeep},
		{"nesting over custom", deep(9), cdshooks.Limits{MaxDepth: 10}, "", cdshooks.ErrTooDeep},
		{"very deep", strings.Repeat("[", 1<<20), cdshooks.Limits{}, "", cdshooks.ErrTooDeep},
		{"closes hiding depth", strings.Repeat("]", 80) + strings.Repeat("[", 100), cdshooks.Limits{}, "", cdshooks.ErrMalformedJSON},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := cdshooks.DecodeRequest(strings.NewReader(tc.body), tc.limits)
			if req != nil {
				t.Errorf("request = %+v, want nil", req)
			}
			wantRequestError(t, err, tc.field, tc.sentinel)
		})
	}
}

func TestDecodeRequestDepthBoundary(t *testing.T) {
	t.Parallel()
	// Depth counts the top-level object as 1; context adds 1, so n arrays
	// reach depth n+2.
	body := func(n int) string {
		return `{"hook":"h","hookInstance":"x","context":{"a":` +
			strings.Repeat("[", n) + strings.Repeat("]", n) + `,"s":"[[[[[[[[[[\"[[["}}`
	}
	if _, err := cdshooks.DecodeRequest(strings.NewReader(body(8)), cdshooks.Limits{MaxDepth: 10}); err != nil {
		t.Errorf("depth 10 with limit 10: %v", err)
	}
	if _, err := cdshooks.DecodeRequest(strings.NewReader(body(9)), cdshooks.Limits{MaxDepth: 10}); !errors.Is(err, cdshooks.ErrTooDeep) {
		t.Errorf("depth 11 with limit 10: %v, want ErrTooDeep", err)
	}
}

func TestDecodeRequestDeviations(t *testing.T) {
	t.Parallel()
	body := `{"hook":"patient-view","hookInstance":"x","context":{},"prefetch":null,
		"fhirServer":"https://f.example","fhirAuthorization":{"access_token":"t","token_type":"bearer"}}`
	req, err := cdshooks.DecodeRequest(strings.NewReader(body), cdshooks.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, d := range req.Deviations {
		fields = append(fields, d.Field)
	}
	want := []string{"fhirAuthorization.expires_in", "fhirAuthorization.scope", "fhirAuthorization.subject", "prefetch"}
	if diff := cmp.Diff(want, fields, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("deviation fields (-want +got):\n%s", diff)
	}
}

func TestDecodeRequestReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	_, err := cdshooks.DecodeRequest(iotest.ErrReader(boom), cdshooks.Limits{})
	if !errors.Is(err, boom) {
		t.Errorf("error = %v, want it to wrap the read error", err)
	}
	var re *cdshooks.RequestError
	if errors.As(err, &re) {
		t.Errorf("read error reported as a client error: %v", err)
	}
}

func TestFHIRAuthorizationRedacted(t *testing.T) {
	t.Parallel()
	a := cdshooks.FHIRAuthorization{AccessToken: secret, TokenType: "Bearer", ExpiresIn: 300, Scope: "s", Subject: "c"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("call", "auth", a)
	for _, s := range []string{
		fmt.Sprint(a), fmt.Sprintf("%+v", a), fmt.Sprintf("%#v", a), fmt.Sprint(&a), logged.String(),
	} {
		if strings.Contains(s, secret) {
			t.Errorf("token leaked: %s", s)
		}
	}
}

func TestDecodeRequestSpecFragment(t *testing.T) {
	t.Parallel()
	// The spec's prefetch example is a fragment without hook.
	_, err := cdshooks.DecodeRequest(bytes.NewReader(readFixture(t, "spec/request-prefetch-data-fragment.json")), cdshooks.Limits{})
	wantRequestError(t, err, "hook", cdshooks.ErrInvalid)
}
