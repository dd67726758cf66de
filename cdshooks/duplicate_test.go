package cdshooks_test

import (
	"strings"
	"testing"

	"github.com/labelguard/labelguard/cdshooks"
)

const draft = `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"MedicationRequest","id":"m1","status":"draft","status":"active"}}]}`

// A member name given twice in a CDS Hooks object (the envelope, the
// context, fhirAuthorization, the prefetch keys, feedback) is refused with
// a 400-class error naming it, on the fast path and on the slow one
// (escaped names, an unusual body); FHIR content inside keeps its
// tolerance.
func TestDecodeRequestDuplicateNames(t *testing.T) {
	t.Parallel()
	ctx := `"context":{"patientId":"p1"}`
	auth := `"fhirServer":"https://f.example","fhirAuthorization":{"access_token":"` + secret + `","token_type":"Bearer","expires_in":300,"scope":"s","subject":"c"`
	for _, tc := range []struct {
		name, body, field string
	}{
		{"hook twice", `{"hook":"patient-view","hookInstance":"x",` + ctx + `,"hook":"order-sign"}`, "hook"},
		{"hook twice, escaped", `{"hook":"patient-view","hookInstance":"x",` + ctx + `,"hoo\u006b":"order-sign"}`, "hook"},
		{"hook twice, non-ASCII elsewhere", `{"hook":"patient-view","é":1,"hookInstance":"x",` + ctx + `,"hook":"patient-view"}`, "hook"},
		{"context twice", `{"hook":"patient-view","hookInstance":"x",` + ctx + `,` + ctx + `}`, "context"},
		{"prefetch twice", `{"hook":"patient-view","hookInstance":"x",` + ctx + `,"prefetch":{"a":null},"prefetch":{"b":null}}`, "prefetch"},
		{"prefetch object then null", `{"hook":"patient-view","hookInstance":"x",` + ctx + `,"prefetch":{"a":null},"prefetch":null}`, "prefetch"},
		{"prefetch key twice", `{"hook":"patient-view","hookInstance":"x",` + ctx + `,"prefetch":{"patient":{"resourceType":"Patient","id":"p1"},"patient":null}}`, "prefetch.patient"},
		{"prefetch key twice, escaped", `{"hook":"patient-view","hookInstance":"x",` + ctx + `,"prefetch":{"patient":null,"p\u0061tient":null}}`, "prefetch.patient"},
		{"prefetch key of client text twice", `{"hook":"patient-view","hookInstance":"x",` + ctx + `,"prefetch":{"` + secret + ` x":null,"` + secret + ` x":null}}`, "prefetch"},
		{"fhirAuthorization member twice", `{"hook":"patient-view","hookInstance":"x",` + ctx + `,` + auth + `,"access_token":"other"}}`, "fhirAuthorization.access_token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := cdshooks.DecodeRequest(strings.NewReader(tc.body), cdshooks.Limits{})
			if req != nil {
				t.Fatalf("accepted: %+v", req)
			}
			wantRequestError(t, err, tc.field, cdshooks.ErrInvalid)
			body, ok := cdshooks.ErrorFor(err)
			if !ok || body.Error.Code != cdshooks.CodeInvalidRequest || !strings.Contains(body.Error.Message, "more than once") {
				t.Errorf("error body = %+v", body)
			}
		})
	}
}

func TestDecodeContextDuplicateNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, hook, context, field string
	}{
		{"patientId twice", cdshooks.HookPatientView, `{"patientId":"p1","userId":"Practitioner/u","patientId":"p2"}`, "context.patientId"},
		{"draftOrders twice", cdshooks.HookOrderSign, `{"patientId":"p1","draftOrders":` + draft + `,"draftOrders":` + draft + `}`, "context.draftOrders"},
		{"selections twice, escaped", cdshooks.HookOrderSelect, `{"patientId":"p1","draftOrders":` + draft + `,"selections":["MedicationRequest/m1"],"s\u0065lections":[]}`, "context.selections"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hc, err := cdshooks.DecodeContext(tc.hook, []byte(tc.context))
			if hc != nil {
				t.Fatalf("accepted: %+v", hc)
			}
			wantRequestError(t, err, tc.field, cdshooks.ErrInvalid)
		})
	}
}

// FHIR resources inside the request keep encoding/json's tolerance: a
// duplicated name there is the FHIR parser's business, not the envelope's.
func TestDuplicateNamesInsideFHIRTolerated(t *testing.T) {
	t.Parallel()
	body := `{"hook":"order-sign","hookInstance":"x","context":{"patientId":"p1","draftOrders":` + draft + `},` +
		`"prefetch":{"patient":{"resourceType":"Patient","id":"p1","gender":"male","gender":"female"}},` +
		`"extension":{"a":1,"a":2}}`
	req, err := cdshooks.DecodeRequest(strings.NewReader(body), cdshooks.Limits{})
	if err != nil {
		t.Fatalf("DecodeRequest: %v", err)
	}
	hc, err := cdshooks.DecodeContext(req.Hook, req.Context)
	if err != nil {
		t.Fatalf("DecodeContext: %v", err)
	}
	if hc.Order == nil || hc.Order.PatientID != "p1" {
		t.Errorf("context = %+v", hc)
	}
}

func TestDecodeFeedbackDuplicateNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body, field string }{
		{"feedback twice", `{"feedback":[],"feedback":[{"card":"c","outcome":"overridden","outcomeTimestamp":"2026-01-01T00:00:00Z"}]}`, "feedback"},
		{"outcome twice", `{"feedback":[{"card":"c","outcome":"accepted","outcome":"overridden","outcomeTimestamp":"2026-01-01T00:00:00Z"}]}`, "feedback[0].outcome"},
		{"reason code twice", `{"feedback":[{"card":"c","outcome":"overridden","outcomeTimestamp":"2026-01-01T00:00:00Z","overrideReason":{"reason":{"system":"s","code":"a","code":"b"}}}]}`, "feedback[0].overrideReason.reason.code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fb, err := cdshooks.DecodeFeedback(strings.NewReader(tc.body), cdshooks.Limits{})
			if fb != nil {
				t.Fatalf("accepted: %+v", fb)
			}
			wantRequestError(t, err, tc.field, cdshooks.ErrInvalid)
		})
	}
}
