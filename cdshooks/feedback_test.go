package cdshooks_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/labelguard/labelguard/cdshooks"
)

func TestDecodeFeedbackFixtures(t *testing.T) {
	t.Parallel()
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	accepted := cdshooks.FeedbackEntry{
		Card:                "4e0a3a1e-3283-4575-ab82-028d55fe2719",
		Outcome:             cdshooks.OutcomeAccepted,
		AcceptedSuggestions: []cdshooks.AcceptedSuggestion{{ID: "e56e1945-20b3-4393-8503-a1a20fd73152"}},
		OutcomeTimestamp:    ts("2021-12-11T10:05:31Z"),
	}
	reason := &cdshooks.OverrideReason{
		Reason:      &cdshooks.Coding{Code: "d7ecf885", System: "https://example.com/cds-hooks/override-reason-system"},
		UserComment: "A comment entered by the clinician.",
	}
	for _, tc := range []struct {
		file string
		want []cdshooks.FeedbackEntry
	}{
		{"spec/feedback-accepted.json", []cdshooks.FeedbackEntry{accepted}},
		{"spec/feedback-overridden.json", []cdshooks.FeedbackEntry{{
			Card: "f6b95768-b1c8-40dc-8385-bf3504b82ffb", Outcome: cdshooks.OutcomeOverridden,
			OutcomeTimestamp: ts("2020-12-11T00:00:00Z"),
		}}},
		{"spec/feedback-overridden-with-reason.json", []cdshooks.FeedbackEntry{{
			Card: "9368d37b-283f-44a0-93ea-547cebab93ed", Outcome: cdshooks.OutcomeOverridden,
			OverrideReason: reason, OutcomeTimestamp: ts("2020-12-11T00:00:00Z"),
		}}},
		{"ahrq/feedback.json", []cdshooks.FeedbackEntry{accepted, {
			Card: "4e0a3a1e-3283-4575-ab82-028d55fe2719", Outcome: cdshooks.OutcomeOverridden,
			OverrideReason: reason, OutcomeTimestamp: ts("2020-12-11T10:10:23Z"),
		}}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			fb, err := cdshooks.DecodeFeedback(bytes.NewReader(readFixture(t, tc.file)), cdshooks.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, fb.Feedback); diff != "" {
				t.Errorf("feedback mismatch (-want +got):\n%s", diff)
			}
			if len(fb.Deviations) != 0 {
				t.Errorf("unexpected deviations %v", fb.Deviations)
			}
		})
	}
}

func TestDecodeFeedbackErrors(t *testing.T) {
	t.Parallel()
	const (
		ok  = `{"card":"c1","outcome":"overridden","outcomeTimestamp":"2020-12-11T00:00:00Z"}`
		acc = `"acceptedSuggestions":[{"id":"s1"}]`
	)
	entry := func(members string) string { return `{"feedback":[` + ok + `,{` + members + `}]}` }
	for _, tc := range []struct {
		name, body string
		field      string
		sentinel   error
	}{
		{"malformed", `{"feedback":[` + secret, "", cdshooks.ErrMalformedJSON},
		{"trailing garbage", `{"feedback":[` + ok + `]}x`, "", cdshooks.ErrMalformedJSON},
		{"not an object", `[` + ok + `]`, "", cdshooks.ErrInvalid},
		{"feedback missing", `{}`, "feedback", cdshooks.ErrInvalid},
		{"feedback null", `{"feedback":null}`, "feedback", cdshooks.ErrInvalid},
		{"feedback empty", `{"feedback":[]}`, "feedback", cdshooks.ErrInvalid},
		{"feedback object", `{"feedback":` + ok + `}`, "feedback", cdshooks.ErrInvalid},
		{"entry not object", `{"feedback":[` + ok + `,"` + secret + `"]}`, "feedback[1]", cdshooks.ErrInvalid},
		{"card missing", entry(`"outcome":"overridden","outcomeTimestamp":"2020-12-11T00:00:00Z"`), "feedback[1].card", cdshooks.ErrInvalid},
		{"card empty", entry(`"card":"","outcome":"overridden","outcomeTimestamp":"2020-12-11T00:00:00Z"`), "feedback[1].card", cdshooks.ErrInvalid},
		{"card number", entry(`"card":1,"outcome":"overridden","outcomeTimestamp":"2020-12-11T00:00:00Z"`), "feedback[1].card", cdshooks.ErrInvalid},
		{"bad outcome", entry(`"card":"c","outcome":"` + secret + `","outcomeTimestamp":"2020-12-11T00:00:00Z"`), "feedback[1].outcome", cdshooks.ErrInvalid},
		{"outcome wrong case", entry(`"card":"c","outcome":"Accepted",` + acc + `,"outcomeTimestamp":"2020-12-11T00:00:00Z"`), "feedback[1].outcome", cdshooks.ErrInvalid},
		{"outcome missing", entry(`"card":"c","outcomeTimestamp":"2020-12-11T00:00:00Z"`), "feedback[1].outcome", cdshooks.ErrInvalid},
		{"timestamp missing", entry(`"card":"c","outcome":"overridden"`), "feedback[1].outcomeTimestamp", cdshooks.ErrInvalid},
		{"timestamp date only", entry(`"card":"c","outcome":"overridden","outcomeTimestamp":"2020-12-11"`), "feedback[1].outcomeTimestamp", cdshooks.ErrInvalid},
		{"timestamp no zone", entry(`"card":"c","outcome":"overridden","outcomeTimestamp":"2020-12-11T00:00:00"`), "feedback[1].outcomeTimestamp", cdshooks.ErrInvalid},
		{"timestamp garbage", entry(`"card":"c","outcome":"overridden","outcomeTimestamp":"` + secret + `"`), "feedback[1].outcomeTimestamp", cdshooks.ErrInvalid},
		{"timestamp number", entry(`"card":"c","outcome":"overridden","outcomeTimestamp":1607644800`), "feedback[1].outcomeTimestamp", cdshooks.ErrInvalid},
		{"accepted without suggestions", entry(`"card":"c","outcome":"accepted","outcomeTimestamp":"2020-12-11T00:00:00Z"`), "feedback[1].acceptedSuggestions", cdshooks.ErrInvalid},
		{"accepted with empty suggestions", entry(`"card":"c","outcome":"accepted","acceptedSuggestions":[],"outcomeTimestamp":"2020-12-11T00:00:00Z"`), "feedback[1].acceptedSuggestions", cdshooks.ErrInvalid},
		{"accepted suggestion without id", entry(`"card":"c","outcome":"accepted","acceptedSuggestions":[{"uuid":"s"}],"outcomeTimestamp":"2020-12-11T00:00:00Z"`), "feedback[1].acceptedSuggestions[0].id", cdshooks.ErrInvalid},
		{"accepted suggestion string", entry(`"card":"c","outcome":"accepted","acceptedSuggestions":["s"],"outcomeTimestamp":"2020-12-11T00:00:00Z"`), "feedback[1].acceptedSuggestions[0]", cdshooks.ErrInvalid},
		{"accepted with overrideReason", entry(`"card":"c","outcome":"accepted",` + acc + `,"overrideReason":{"userComment":"x"},"outcomeTimestamp":"2020-12-11T00:00:00Z"`), "feedback[1].overrideReason", cdshooks.ErrInvalid},
		{"overridden with suggestions", entry(`"card":"c","outcome":"overridden",` + acc + `,"outcomeTimestamp":"2020-12-11T00:00:00Z"`), "feedback[1].acceptedSuggestions", cdshooks.ErrInvalid},
		{"overrideReason string", entry(`"card":"c","outcome":"overridden","overrideReason":"` + secret + `","outcomeTimestamp":"2020-12-11T00:00:00Z"`), "feedback[1].overrideReason", cdshooks.ErrInvalid},
		{"reason without system", entry(`"card":"c","outcome":"overridden","overrideReason":{"reason":{"code":"x"}},"outcomeTimestamp":"2020-12-11T00:00:00Z"`), "feedback[1].overrideReason.reason.system", cdshooks.ErrInvalid},
		{"userComment number", entry(`"card":"c","outcome":"overridden","overrideReason":{"userComment":5},"outcomeTimestamp":"2020-12-11T00:00:00Z"`), "feedback[1].overrideReason.userComment", cdshooks.ErrInvalid},
		{"too deep", `{"feedback":[` + strings.Repeat("[", 100) + `]}`, "", cdshooks.ErrTooDeep},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fb, err := cdshooks.DecodeFeedback(strings.NewReader(tc.body), cdshooks.Limits{})
			if fb != nil {
				t.Errorf("feedback = %+v, want nil", fb)
			}
			wantRequestError(t, err, tc.field, tc.sentinel)
		})
	}
}

func TestDecodeFeedbackLiberal(t *testing.T) {
	t.Parallel()
	body := `{"feedback":[{"card":"c","outcome":"overridden","overrideReason":{},
		"outcomeTimestamp":"2020-12-11T01:30:00.5+01:30"}]}`
	fb, err := cdshooks.DecodeFeedback(strings.NewReader(body), cdshooks.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	e := fb.Feedback[0]
	want := time.Date(2020, 12, 11, 0, 0, 0, 5e8, time.UTC)
	if !e.OutcomeTimestamp.Equal(want) || e.OutcomeTimestamp.Location() != time.UTC {
		t.Errorf("OutcomeTimestamp = %v, want %v", e.OutcomeTimestamp, want)
	}
	if e.OverrideReason != nil {
		t.Errorf("OverrideReason = %+v, want nil for {}", e.OverrideReason)
	}
	var fields []string
	for _, d := range fb.Deviations {
		fields = append(fields, d.Field)
	}
	if diff := cmp.Diff([]string{"feedback[0].outcomeTimestamp", "feedback[0].overrideReason"}, fields); diff != "" {
		t.Errorf("deviations (-want +got):\n%s", diff)
	}
}
