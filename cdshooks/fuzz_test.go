package cdshooks_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/labelguard/labelguard/cdshooks"
)

func addSeeds(f *testing.F) {
	for _, file := range fixtureFiles(f) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(0))
	}
	f.Add([]byte(`{"hook":"order-select","hookInstance":"x","context":{"patientId":"Patient/1","selections":["A/1"],"draftOrders":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"A","id":"1"}}]}}}`), uint8(5))
	f.Add([]byte(`{"feedback":[{"card":"c","outcome":"overridden","overrideReason":{},"outcomeTimestamp":"2020-12-11T01:30:00+01:30"}]}`), uint8(3))
}

func wantClientError(t *testing.T, err error) {
	t.Helper()
	var re *cdshooks.RequestError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *RequestError", err, err)
	}
	if re.Err == nil {
		t.Fatalf("error %v wraps no sentinel", err)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte, depth uint8) {
		req, err := cdshooks.DecodeRequest(bytes.NewReader(body), cdshooks.Limits{MaxDepth: int(depth)})
		if err != nil {
			wantClientError(t, err)
			return
		}
		if req.Hook == "" || req.HookInstance == "" || len(req.Context) == 0 {
			t.Fatalf("accepted request lacks a required member: %+v", req)
		}
		if req.FHIRAuthorization != nil && req.FHIRServer == "" {
			t.Fatal("accepted fhirAuthorization without fhirServer")
		}
		if _, err := json.Marshal(req); err != nil {
			t.Fatalf("accepted request does not marshal: %v", err)
		}
		for _, hook := range []string{req.Hook, cdshooks.HookOrderSelect, cdshooks.HookOrderSign, cdshooks.HookPatientView} {
			hc, err := cdshooks.DecodeContext(hook, req.Context)
			if err != nil {
				wantClientError(t, err)
				continue
			}
			if (hc.Order == nil) == (hc.PatientView == nil) {
				t.Fatalf("context for %q sets both or neither of Order and PatientView", hook)
			}
			if hook == cdshooks.HookOrderSelect && len(hc.Order.Selections) == 0 {
				t.Fatal("accepted order-select context without selections")
			}
		}
	})
}

func FuzzDecodeFeedback(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte, depth uint8) {
		fb, err := cdshooks.DecodeFeedback(bytes.NewReader(body), cdshooks.Limits{MaxDepth: int(depth)})
		if err != nil {
			wantClientError(t, err)
			return
		}
		if len(fb.Feedback) == 0 {
			t.Fatal("accepted empty feedback")
		}
		for i, e := range fb.Feedback {
			switch {
			case e.Card == "" || e.OutcomeTimestamp.IsZero():
				t.Fatalf("entry %d lacks card or timestamp", i)
			case e.Outcome == cdshooks.OutcomeAccepted && (len(e.AcceptedSuggestions) == 0 || e.OverrideReason != nil):
				t.Fatalf("entry %d: inconsistent accepted entry", i)
			case e.Outcome == cdshooks.OutcomeOverridden && len(e.AcceptedSuggestions) != 0:
				t.Fatalf("entry %d: overridden entry with accepted suggestions", i)
			case e.Outcome != cdshooks.OutcomeAccepted && e.Outcome != cdshooks.OutcomeOverridden:
				t.Fatalf("entry %d: outcome not checked", i)
			}
		}
		// What was accepted, re-encoded, must be accepted again unchanged.
		out, err := json.Marshal(fb)
		if err != nil {
			t.Fatalf("accepted feedback does not marshal: %v", err)
		}
		again, err := cdshooks.DecodeFeedback(bytes.NewReader(out), cdshooks.Limits{})
		if err != nil {
			t.Fatalf("re-encoded feedback rejected: %v\n%s", err, out)
		}
		if diff := cmp.Diff(fb.Feedback, again.Feedback); diff != "" {
			t.Fatalf("re-encoded feedback differs (-first +second):\n%s", diff)
		}
	})
}
