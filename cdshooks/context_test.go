package cdshooks_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/labelguard/labelguard/cdshooks"
)

// libraryContext returns the context member of a hook library example.
func libraryContext(t *testing.T, file string) json.RawMessage {
	t.Helper()
	var doc struct {
		Context json.RawMessage `json:"context"`
	}
	if err := json.Unmarshal(readFixture(t, file), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Context
}

func TestDecodeContextHookLibrary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, hook string
		selections []string
	}{
		{"hooks-library/order-select-context-r4.json", cdshooks.HookOrderSelect,
			[]string{"NutritionOrder/pureeddiet-simple", "MedicationRequest/smart-MedicationRequest-103"}},
		{"hooks-library/order-sign-context-r4.json", cdshooks.HookOrderSign, nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			hc, err := cdshooks.DecodeContext(tc.hook, libraryContext(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got := *hc.Order
			got.DraftOrders = nil
			want := cdshooks.OrderContext{
				UserID: "PractitionerRole/123", PatientID: "1288992", EncounterID: "89284",
				Selections: tc.selections,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("context mismatch (-want +got):\n%s", diff)
			}
			if len(hc.Deviations) != 0 || hc.PatientView != nil {
				t.Errorf("deviations %v, patient view %v", hc.Deviations, hc.PatientView)
			}
		})
	}
}

func TestDecodeContextFromRequests(t *testing.T) {
	t.Parallel()
	for _, file := range []string{
		"crd-test-kit/order_select_hook_request.json",
		"crd-test-kit/order_sign_hook_request.json",
		"spec/request-patient-view.json",
		"ahrq/unhealthy_patient.json",
	} {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			req, err := cdshooks.DecodeRequest(bytes.NewReader(readFixture(t, file)), cdshooks.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			hc, err := cdshooks.DecodeContext(req.Hook, req.Context)
			if err != nil {
				t.Fatal(err)
			}
			var patient, user string
			switch {
			case hc.Order != nil:
				patient, user = hc.Order.PatientID, hc.Order.UserID
			case hc.PatientView != nil:
				patient, user = hc.PatientView.PatientID, hc.PatientView.UserID
			}
			if patient == "" || user != "Practitioner/example" {
				t.Errorf("patientId %q, userId %q", patient, user)
			}
		})
	}
}

// orderContext builds an order context from the hook library example with
// the given top-level members replaced (nil deletes).
func orderContext(t *testing.T, changes map[string]any) json.RawMessage {
	t.Helper()
	var ctx map[string]any
	if err := json.Unmarshal(libraryContext(t, "hooks-library/order-select-context-r4.json"), &ctx); err != nil {
		t.Fatal(err)
	}
	for k, v := range changes {
		if v == nil {
			delete(ctx, k)
		} else {
			ctx[k] = v
		}
	}
	b, err := json.Marshal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeContextErrors(t *testing.T) {
	t.Parallel()
	rawNull := json.RawMessage("null")
	for _, tc := range []struct {
		name, hook string
		changes    map[string]any
		raw        string // used instead of changes when set
		field      string
		sentinel   error
	}{
		{name: "unsupported hook", hook: "encounter-start", raw: `{}`, field: "hook", sentinel: cdshooks.ErrUnsupportedHook},
		{name: "context array", hook: "order-sign", raw: `[]`, field: "context", sentinel: cdshooks.ErrInvalid},
		{name: "draftOrders not a Bundle", hook: "order-sign",
			changes: map[string]any{"draftOrders": map[string]any{"resourceType": "MedicationRequest", "id": secret}},
			field:   "context.draftOrders", sentinel: cdshooks.ErrInvalid},
		{name: "draftOrders array", hook: "order-sign",
			changes: map[string]any{"draftOrders": []any{secret}},
			field:   "context.draftOrders", sentinel: cdshooks.ErrInvalid},
		{name: "draftOrders missing", hook: "order-sign",
			changes: map[string]any{"draftOrders": nil},
			field:   "context.draftOrders", sentinel: cdshooks.ErrInvalid},
		{name: "draftOrders null", hook: "order-select",
			changes: map[string]any{"draftOrders": rawNull},
			field:   "context.draftOrders", sentinel: cdshooks.ErrInvalid},
		{name: "draftOrders entry without resource", hook: "order-sign",
			changes: map[string]any{"draftOrders": map[string]any{"resourceType": "Bundle", "entry": []any{map[string]any{"fullUrl": secret}}}},
			field:   "context.draftOrders.entry[0].resource", sentinel: cdshooks.ErrInvalid},
		{name: "draftOrders entry resource without type", hook: "order-sign",
			changes: map[string]any{"draftOrders": map[string]any{"resourceType": "Bundle", "entry": []any{map[string]any{"resource": map[string]any{"id": "1"}}}}},
			field:   "context.draftOrders.entry[0].resource.resourceType", sentinel: cdshooks.ErrInvalid},
		{name: "selections missing for order-select", hook: "order-select",
			changes: map[string]any{"selections": nil},
			field:   "context.selections", sentinel: cdshooks.ErrInvalid},
		{name: "selections empty", hook: "order-select",
			changes: map[string]any{"selections": []any{}},
			field:   "context.selections", sentinel: cdshooks.ErrInvalid},
		{name: "selections string", hook: "order-select",
			changes: map[string]any{"selections": "MedicationRequest/1"},
			field:   "context.selections", sentinel: cdshooks.ErrInvalid},
		{name: "selection number", hook: "order-select",
			changes: map[string]any{"selections": []any{"NutritionOrder/pureeddiet-simple", 7}},
			field:   "context.selections[1]", sentinel: cdshooks.ErrInvalid},
		{name: "selection not in draftOrders", hook: "order-select",
			changes: map[string]any{"selections": []any{"MedicationRequest/" + secret}},
			field:   "context.selections[0]", sentinel: cdshooks.ErrInvalid},
		{name: "patientId missing", hook: "order-sign",
			changes: map[string]any{"patientId": nil},
			field:   "context.patientId", sentinel: cdshooks.ErrInvalid},
		{name: "patientId number", hook: "patient-view", raw: `{"userId":"Practitioner/1","patientId":123}`,
			field: "context.patientId", sentinel: cdshooks.ErrInvalid},
		{name: "patientId query injection", hook: "order-sign",
			changes: map[string]any{"patientId": "1&_include=*" + secret},
			field:   "context.patientId", sentinel: cdshooks.ErrInvalid},
		{name: "encounterId with slash", hook: "order-sign",
			changes: map[string]any{"encounterId": "a/b"},
			field:   "context.encounterId", sentinel: cdshooks.ErrInvalid},
		{name: "userId not a reference", hook: "order-sign",
			changes: map[string]any{"userId": secret + "?x=1"},
			field:   "context.userId", sentinel: cdshooks.ErrInvalid},
		{name: "userId number", hook: "order-sign",
			changes: map[string]any{"userId": 5},
			field:   "context.userId", sentinel: cdshooks.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw := json.RawMessage(tc.raw)
			if tc.raw == "" {
				raw = orderContext(t, tc.changes)
			}
			hc, err := cdshooks.DecodeContext(tc.hook, raw)
			if hc != nil {
				t.Errorf("context = %+v, want nil", hc)
			}
			wantRequestError(t, err, tc.field, tc.sentinel)
		})
	}
}

func TestDecodeContextSpecExtensionLacksPatient(t *testing.T) {
	t.Parallel()
	req, err := cdshooks.DecodeRequest(bytes.NewReader(readFixture(t, "spec/request-with-extension.json")), cdshooks.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cdshooks.DecodeContext(req.Hook, req.Context)
	wantRequestError(t, err, "context.patientId", cdshooks.ErrInvalid)
}

func TestDecodeContextLiberal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, hook string
		changes    map[string]any
		check      func(*cdshooks.OrderContext) bool
		devField   string
	}{
		{"userId missing", "order-sign", map[string]any{"userId": nil},
			func(o *cdshooks.OrderContext) bool { return o.UserID == "" }, "context.userId"},
		{"userId patient on order hook", "order-sign", map[string]any{"userId": "Patient/1"},
			func(o *cdshooks.OrderContext) bool { return o.UserID == "Patient/1" }, "context.userId"},
		{"patientId with type prefix", "order-select", map[string]any{"patientId": "Patient/1288992"},
			func(o *cdshooks.OrderContext) bool { return o.PatientID == "1288992" }, "context.patientId"},
		{"encounterId empty", "order-sign", map[string]any{"encounterId": ""},
			func(o *cdshooks.OrderContext) bool { return o.EncounterID == "" }, "context.encounterId"},
		{"selections ignored for order-sign", "order-sign", map[string]any{"selections": "junk"},
			func(o *cdshooks.OrderContext) bool { return o.Selections == nil }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hc, err := cdshooks.DecodeContext(tc.hook, orderContext(t, tc.changes))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(hc.Order) {
				t.Errorf("unexpected context %+v", hc.Order)
			}
			var fields []string
			for _, d := range hc.Deviations {
				fields = append(fields, d.Field)
				if strings.Contains(d.Message, secret) {
					t.Errorf("deviation leaks body content: %v", d)
				}
			}
			var want []string
			if tc.devField != "" {
				want = []string{tc.devField}
			}
			if diff := cmp.Diff(want, fields); diff != "" {
				t.Errorf("deviations (-want +got):\n%s", diff)
			}
		})
	}
}
