package fhir

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDerivedAtMatchesDerive: the facts Derived.At gives for a later time
// are the facts deriving the same request at that time gives, for every
// time it accepts; it refuses another UTC date and any time from the first
// result or abatement after the evaluation time, where they differ.
func TestDerivedAtMatchesDerive(t *testing.T) {
	t.Parallel()
	drafts := func() *DraftOrders { return parseDrafts(t, drafts(abroDraft, clopidogrelDraft)) }
	cases := []struct {
		name  string
		req   func() Request
		until time.Time // zero: no resource time after testNow
	}{
		{"a Synthea patient, an initiation order and an interacting order", func() Request {
			return Request{Service: "jak-order-sign", Hook: "order-sign", PatientID: mariaID, Drafts: drafts(),
				Prefetch: map[string]json.RawMessage{"everything": readFile(t, mariaFile)}}
		}, time.Time{}},
		{"a result and an abatement after now", func() Request {
			cond := func(id, extra string) string {
				return `{"resourceType":"Condition","id":"` + id + `","subject":{"reference":"Patient/p1"},"code":{"text":"Herpes zoster"}` + extra + `}`
			}
			return Request{Hook: "patient-view", Prefetch: map[string]json.RawMessage{
				"patient": json.RawMessage(testPatient),
				"conditions": searchset(
					cond("abates-soon", `,"abatementDateTime":"2026-11-23T13:30:00Z"`),
					cond("abated", `,"abatementDateTime":"2026-11-23T11:00:00Z"`),
				),
				"observations": searchset(
					obs("past", "final", "751-8", qty("1500", "/uL"), `"effectiveDateTime":"2026-11-20T08:00:00Z"`),
					obs("later", "final", "751-8", qty("900", "/uL"), `"effectiveDateTime":"2026-11-23T15:00:00Z"`),
				),
			}}
		}, time.Date(2026, 11, 23, 13, 30, 0, 0, time.UTC)},
		{"a birth later today (a birth date with a time of day)", func() Request {
			return Request{Hook: "patient-view", Prefetch: map[string]json.RawMessage{
				"patient": json.RawMessage(`{"resourceType":"Patient","id":"p1","birthDate":"2026-11-23T15:00:00Z"}`),
			}}
		}, time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)},
	}
	offsets := []time.Duration{0, time.Second, 90 * time.Second, 59 * time.Minute, 89*time.Minute + 59*time.Second,
		90 * time.Minute, 3 * time.Hour, 11*time.Hour + 59*time.Minute, 12 * time.Hour, 36 * time.Hour}
	exported := func(d *Derived) any {
		return struct {
			In      any
			Orders  map[string]json.RawMessage
			Repairs []string
			Until   time.Time
		}{d.Input, d.OrderResources, d.Repairs, d.Until}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			first := tc.req()
			first.Now, first.HookInstance = testNow, "h1"
			d := mustDerive(t, first)
			if !d.Until.Equal(tc.until) {
				t.Fatalf("Until = %v, want %v", d.Until, tc.until)
			}
			changed := false
			calls := []Call{
				{Service: "jak-order-sign", Hook: "order-sign", HookInstance: "h2"},
				{Service: "jak-order-select", Hook: "order-select", HookInstance: "h3", Selections: []string{"MedicationRequest/abro-1"}},
				{Service: "jak-order-select", Hook: "order-select", HookInstance: "h4", Selections: []string{"MedicationRequest/clop-1", "MedicationRequest/abro-1"}},
				{Service: "jak-order-select", Hook: "order-select", HookInstance: "h5"},
				{Service: "jak-monitoring", Hook: "patient-view", HookInstance: "h6"},
			}
			for i, off := range offsets {
				at := testNow.Add(off)
				c := calls[i%len(calls)]
				again := tc.req()
				again.Now, again.Service, again.Hook, again.HookInstance, again.Selections = at, c.Service, c.Hook, c.HookInstance, c.Selections
				want := mustDerive(t, again)
				got, ok := d.At(at, c)
				wantOK := sameUTCDate(at, testNow) && (tc.until.IsZero() || at.Before(tc.until))
				if ok != wantOK {
					t.Errorf("At(+%v) ok = %v, want %v", off, ok, wantOK)
					continue
				}
				if !ok {
					// What At refuses of the same date can differ: the
					// condition that abates at 13:30 is no longer active, the
					// patient born at 15:00 has an age.
					if sameUTCDate(at, testNow) && (!cmp.Equal(d.Input.Conditions, want.Input.Conditions) || !cmp.Equal(d.Input.Patient, want.Input.Patient)) {
						changed = true
					}
					continue
				}
				if diff := cmp.Diff(exported(want), exported(got)); diff != "" {
					t.Errorf("At(+%v, %+v) differs from deriving again (-derive +At):\n%s", off, c, diff)
				}
			}
			if !tc.until.IsZero() && !changed {
				t.Error("no refused time of the same date derived other facts: the case does not show why At refuses them")
			}
			if d.Input.HookInstance != "h1" || d.Input.Now != formatTime(testNow) || d.Input.Hook != first.Hook {
				t.Errorf("At modified the derived facts: %q %q", d.Input.HookInstance, d.Input.Now)
			}
		})
	}
	if _, ok := mustDerive(t, Request{Prefetch: map[string]json.RawMessage{"patient": json.RawMessage(testPatient)}}).At(testNow.Add(-time.Second), Call{}); ok {
		t.Error("At accepted a time before the derivation's")
	}
}
