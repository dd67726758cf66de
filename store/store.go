package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Store persists the decision audit and CDS Hooks feedback. Both
// implementations (SQLite, PostgreSQL) have the same behaviour and the same
// logical schema; the tests run every case against both. Implementations
// are safe for concurrent use.
type Store interface {
	// Migrate brings the schema to the version this binary knows. It is
	// idempotent and safe when several processes call it at once.
	Migrate(ctx context.Context) error
	// InsertDecisions writes decisions and their cards in one transaction.
	// A decision whose ID is already stored is skipped, so retrying a batch
	// whose commit was not acknowledged writes nothing twice. Feedback that
	// arrived before its card was audited is marked known.
	InsertDecisions(ctx context.Context, ds []Decision) error
	// InsertFeedback writes feedback entries in one transaction, setting
	// Known from the decision audit, and returns how many concerned a card
	// the audit does not hold. Those are stored, never dropped. An entry
	// identical in card, outcome and outcome time to a stored one is a
	// client retry and is skipped.
	InsertFeedback(ctx context.Context, fs []Feedback) (unknown int, err error)
	// Purge deletes decisions (with their cards) made before olderThan and
	// feedback received before it, and returns the number of decisions and
	// feedback entries deleted. Feedback goes with the audit because without
	// its card it can no longer be joined to a rule.
	Purge(ctx context.Context, olderThan time.Time) (int64, error)
	// Report summarises, per rule, the cards shown in [from, to) and the
	// feedback whose outcome time is in [from, to).
	Report(ctx context.Context, from, to time.Time) ([]RuleReport, error)
	// Decisions returns the decisions made in [from, to), oldest first, with
	// their cards in response order.
	Decisions(ctx context.Context, from, to time.Time) ([]Decision, error)
	// Feedback returns the feedback received in [from, to), oldest first.
	Feedback(ctx context.Context, from, to time.Time) ([]Feedback, error)
	// Ping reports whether the database answers (for readiness).
	Ping(ctx context.Context) error
	// Backend names the implementation: "sqlite" or "postgres".
	Backend() string
	// Close releases the database. In-flight calls may fail.
	Close() error
}

// Decision is the audit record of one service call. It holds no clinical
// value and no identifier in clear: the patient and order references are
// keyed hashes (package phi) made by the caller.
type Decision struct {
	// ID identifies the record; a UUIDv7 is assigned when empty.
	ID             string
	Time           time.Time // when the call was answered; now when zero
	Service        string
	Hook           string
	HookInstance   string
	PatientHash    string // phi.Hasher.Hash of the patient id, or ""
	PolicyRevision string
	Latency        time.Duration
	// ErrorKind is the error code the call answered with ("" on success),
	// e.g. "invalid-order" or "precondition-failed".
	ErrorKind string
	// DataIssues says why the input was incomplete, as "kind:key"
	// (e.g. "fetch-failed:conditions"); never values.
	DataIssues []string
	// Cards are the cards returned, in response order; the position stored
	// is the index here.
	Cards []Card
}

// Card is one card of a decision.
type Card struct {
	UUID      string
	Rule      string
	Indicator string
	Order     string // phi.Hasher.HashRef of the order reference, or ""
}

// Outcomes of feedback, as in CDS Hooks 2.0.
const (
	OutcomeAccepted   = "accepted"
	OutcomeOverridden = "overridden"
)

// Feedback is one entry of a CDS Hooks feedback call.
type Feedback struct {
	CardUUID            string
	Service             string
	Outcome             string // OutcomeAccepted or OutcomeOverridden
	AcceptedSuggestions []string
	ReasonSystem        string
	ReasonCode          string
	ReasonDisplay       string
	// UserComment is the clinician's free text. It may contain anything the
	// clinician typed, so it is stored but never shown by Report.
	UserComment string
	OutcomeTime time.Time // the client's outcomeTimestamp
	ReceivedAt  time.Time // when the service received it; now when zero
	Issuer      string    // the iss of the calling client's JWT
	// Known is set by the store: whether the card was in the decision audit
	// when the entry was written (or became so later).
	Known bool
}

// ErrInvalid marks a record the store refuses whatever the database's
// state; retrying it cannot succeed.
var ErrInvalid = errors.New("invalid record")

// Validate checks what the schema requires and that the patient hash looks
// like a hash, so that an identifier in clear passed by mistake is refused
// rather than recorded.
func (d *Decision) Validate() error {
	switch {
	case d.Service == "":
		return fmt.Errorf("%w: decision without service", ErrInvalid)
	case d.Hook == "":
		return fmt.Errorf("%w: decision without hook", ErrInvalid)
	case d.PatientHash != "" && !isHash(d.PatientHash):
		return fmt.Errorf("%w: patient hash is not a lower-case hex hash", ErrInvalid)
	case d.ID != "":
		if _, err := uuid.Parse(d.ID); err != nil {
			return fmt.Errorf("%w: decision id is not a uuid", ErrInvalid)
		}
	}
	for i, c := range d.Cards {
		if c.UUID == "" || c.Rule == "" {
			return fmt.Errorf("%w: card %d without uuid or rule", ErrInvalid, i)
		}
	}
	return nil
}

// Validate checks the fields feedback must have.
func (f *Feedback) Validate() error {
	switch {
	case f.CardUUID == "":
		return fmt.Errorf("%w: feedback without card", ErrInvalid)
	case f.Outcome != OutcomeAccepted && f.Outcome != OutcomeOverridden:
		return fmt.Errorf("%w: feedback outcome must be accepted or overridden", ErrInvalid)
	case f.OutcomeTime.IsZero():
		return fmt.Errorf("%w: feedback without outcome time", ErrInvalid)
	}
	return nil
}

func isHash(s string) bool {
	if len(s) < 16 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// normDecisions validates and returns copies ready to write: ID assigned,
// times in UTC at microsecond precision (what both databases keep, so a
// round trip is exact), text cleaned.
func normDecisions(ds []Decision, now time.Time) ([]Decision, error) {
	out := make([]Decision, len(ds))
	for i, d := range ds {
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("decision %d: %w", i, err)
		}
		if d.ID == "" {
			id, err := uuid.NewV7()
			if err != nil {
				return nil, fmt.Errorf("decision id: %w", err)
			}
			d.ID = id.String()
		} else {
			// Canonical form, as PostgreSQL prints a uuid, so ids compare as text.
			d.ID = uuid.MustParse(d.ID).String()
		}
		if d.Time.IsZero() {
			d.Time = now
		}
		d.Time = micro(d.Time)
		d.Latency = d.Latency.Truncate(time.Microsecond)
		d.Service, d.Hook, d.HookInstance = clean(d.Service), clean(d.Hook), clean(d.HookInstance)
		d.PolicyRevision, d.ErrorKind = clean(d.PolicyRevision), clean(d.ErrorKind)
		d.DataIssues = cleanAll(d.DataIssues)
		cards := make([]Card, len(d.Cards))
		for j, c := range d.Cards {
			cards[j] = Card{UUID: clean(c.UUID), Rule: clean(c.Rule), Indicator: clean(c.Indicator), Order: clean(c.Order)}
		}
		d.Cards = cards
		out[i] = d
	}
	return out, nil
}

func normFeedback(fs []Feedback, now time.Time) ([]Feedback, error) {
	out := make([]Feedback, len(fs))
	for i, f := range fs {
		if err := f.Validate(); err != nil {
			return nil, fmt.Errorf("feedback %d: %w", i, err)
		}
		if f.ReceivedAt.IsZero() {
			f.ReceivedAt = now
		}
		f.OutcomeTime, f.ReceivedAt = micro(f.OutcomeTime), micro(f.ReceivedAt)
		f.CardUUID, f.Service, f.Issuer = clean(f.CardUUID), clean(f.Service), clean(f.Issuer)
		f.ReasonSystem, f.ReasonCode, f.ReasonDisplay = clean(f.ReasonSystem), clean(f.ReasonCode), clean(f.ReasonDisplay)
		f.UserComment = clean(f.UserComment)
		f.AcceptedSuggestions = cleanAll(f.AcceptedSuggestions)
		out[i] = f
	}
	return out, nil
}

func micro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// clean makes s storable on both backends: PostgreSQL text refuses NUL and
// invalid UTF-8, and a client can send either (JSON allows \u0000). One
// such record would otherwise fail its whole batch, forever.
func clean(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

func cleanAll(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clean(s)
	}
	return out
}

// encodeList stores a list as a JSON array: the same text on both
// backends, and no separator that a value could contain.
func encodeList(ss []string) string {
	if len(ss) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ss) // []string always marshals
	return string(b)
}

func decodeList(s string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("decoding list column: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// Config says which database to open.
type Config struct {
	// DataDir holds labelguard.db when PostgresDSN is empty.
	DataDir string
	// PostgresDSN, when set, selects PostgreSQL (a pgx connection string or
	// URL). It may carry a password, so it is never logged.
	PostgresDSN string
}

// Open opens the configured store and migrates it: PostgreSQL when a DSN is
// set, otherwise SQLite under DataDir ("./data" when empty).
func Open(ctx context.Context, cfg Config) (Store, error) {
	var (
		st  Store
		err error
	)
	if cfg.PostgresDSN != "" {
		st, err = OpenPostgres(ctx, cfg.PostgresDSN)
	} else {
		dir := cfg.DataDir
		if dir == "" {
			dir = "./data"
		}
		st, err = OpenSQLite(ctx, dir)
	}
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		_ = st.Close()
		return nil, err
	}
	return st, nil
}
