package cdshooks

import (
	"io"
	"time"
)

// Feedback outcomes.
const (
	OutcomeAccepted   = "accepted"
	OutcomeOverridden = "overridden"
)

// Feedback is the body a CDS client POSTs to
// {baseUrl}/cds-services/{id}/feedback.
type Feedback struct {
	Feedback []FeedbackEntry `json:"feedback"`

	// Deviations lists departures from the specification that decoding
	// tolerated. It is never serialized.
	Deviations []Deviation `json:"-"`
}

// FeedbackEntry reports what the user did with one card.
type FeedbackEntry struct {
	// Card is the uuid of the card.
	Card                string               `json:"card"`
	Outcome             string               `json:"outcome"`
	AcceptedSuggestions []AcceptedSuggestion `json:"acceptedSuggestions,omitempty"`
	OverrideReason      *OverrideReason      `json:"overrideReason,omitempty"`
	// OutcomeTimestamp is in UTC.
	OutcomeTimestamp time.Time `json:"outcomeTimestamp"`
}

// AcceptedSuggestion names an accepted suggestion by its uuid.
type AcceptedSuggestion struct {
	ID string `json:"id"`
}

// OverrideReason is why the user overrode a card: a reason from the card's
// overrideReasons, a free-text comment, or both.
type OverrideReason struct {
	Reason      *Coding `json:"reason,omitempty"`
	UserComment string  `json:"userComment,omitempty"`
}

// DecodeFeedback reads and checks a feedback body. Every entry needs card,
// outcome (accepted or overridden) and an RFC 3339 outcomeTimestamp.
// acceptedSuggestions is required with accepted, as the specification says,
// and refused with overridden; overrideReason is refused with accepted. The
// specification does not forbid those two combinations outright, but they
// contradict the outcome and would corrupt feedback statistics. A timestamp
// with an offset other than Z names the same instant, so it is converted to
// UTC and noted rather than refused. Errors are *RequestError unless reading
// r failed; their fields name the entry, as in "feedback[1].outcome".
func DecodeFeedback(r io.Reader, limits Limits) (*Feedback, error) {
	body, err := readBody(r, limits)
	if err != nil {
		return nil, err
	}
	fb := &Feedback{}
	top, err := parseTopLevel(body, &fb.Deviations)
	if err != nil {
		return nil, err
	}
	raw, ok := top.fields["feedback"]
	if !ok {
		return nil, invalid("feedback", "is required")
	}
	list, err := array(raw, "feedback")
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, invalid("feedback", "must not be empty")
	}
	fb.Feedback = make([]FeedbackEntry, 0, len(list))
	for i, item := range list {
		o, err := parseObject(item, indexPath("feedback", i), &fb.Deviations)
		if err != nil {
			return nil, err
		}
		e, err := decodeFeedbackEntry(o)
		if err != nil {
			return nil, err
		}
		fb.Feedback = append(fb.Feedback, e)
	}
	return fb, nil
}

func decodeFeedbackEntry(o object) (FeedbackEntry, error) {
	var e FeedbackEntry
	var err error
	if e.Card, err = o.requiredString("card"); err != nil {
		return e, err
	}
	if e.Outcome, err = o.requiredString("outcome"); err != nil {
		return e, err
	}
	if e.Outcome != OutcomeAccepted && e.Outcome != OutcomeOverridden {
		return e, invalid(o.fieldPath("outcome"), "must be accepted or overridden")
	}
	ts, err := o.requiredString("outcomeTimestamp")
	if err != nil {
		return e, err
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return e, invalid(o.fieldPath("outcomeTimestamp"), "must be an RFC 3339 date-time")
	}
	if _, offset := t.Zone(); offset != 0 {
		o.note(o.fieldPath("outcomeTimestamp"), "not in UTC, converted")
	}
	e.OutcomeTimestamp = t.UTC()

	suggestions, hasSuggestions := o.present("acceptedSuggestions")
	reason, hasReason := o.present("overrideReason")
	switch e.Outcome {
	case OutcomeAccepted:
		if hasReason {
			return e, invalid(o.fieldPath("overrideReason"), "must be omitted when outcome is accepted")
		}
		if !hasSuggestions {
			return e, invalid(o.fieldPath("acceptedSuggestions"), "is required when outcome is accepted")
		}
		if e.AcceptedSuggestions, err = decodeAccepted(o, suggestions); err != nil {
			return e, err
		}
	case OutcomeOverridden:
		if hasSuggestions {
			return e, invalid(o.fieldPath("acceptedSuggestions"), "must be omitted when outcome is overridden")
		}
		if hasReason {
			if e.OverrideReason, err = decodeOverrideReason(o, reason); err != nil {
				return e, err
			}
		}
	}
	return e, nil
}

func decodeAccepted(o object, raw []byte) ([]AcceptedSuggestion, error) {
	path := o.fieldPath("acceptedSuggestions")
	list, err := array(raw, path)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, invalid(path, "must not be empty")
	}
	out := make([]AcceptedSuggestion, 0, len(list))
	for i, item := range list {
		so, err := parseObject(item, indexPath(path, i), o.devs)
		if err != nil {
			return nil, err
		}
		id, err := so.requiredString("id")
		if err != nil {
			return nil, err
		}
		out = append(out, AcceptedSuggestion{ID: id})
	}
	return out, nil
}

// decodeOverrideReason reads an empty object as no reason, which is what
// the client meant and costs nothing.
func decodeOverrideReason(o object, raw []byte) (*OverrideReason, error) {
	ro, err := parseObject(raw, o.fieldPath("overrideReason"), o.devs)
	if err != nil {
		return nil, err
	}
	r := &OverrideReason{}
	if raw, ok := ro.present("reason"); ok {
		co, err := parseObject(raw, ro.fieldPath("reason"), o.devs)
		if err != nil {
			return nil, err
		}
		c := &Coding{}
		if c.Code, err = co.requiredString("code"); err != nil {
			return nil, err
		}
		if c.System, err = co.requiredString("system"); err != nil {
			return nil, err
		}
		if c.Display, _, err = co.optionalString("display"); err != nil {
			return nil, err
		}
		r.Reason = c
	}
	if r.UserComment, _, err = ro.optionalString("userComment"); err != nil {
		return nil, err
	}
	if r.Reason == nil && r.UserComment == "" {
		o.note(ro.path, "empty object treated as absent")
		return nil, nil
	}
	return r, nil
}
