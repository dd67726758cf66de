package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// rows is what both drivers' result sets offer (database/sql's through
// sqlRows), so that reads, reports and purges are written once.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// dialect holds the SQL differences between the backends that the shared
// queries must spell out. Shared query text uses ? placeholders.
type dialect struct {
	// rebind turns ? placeholders into the backend's.
	rebind func(q string) string
	// timeArg encodes a time for comparison with a time column.
	timeArg func(t time.Time) any
	// micros is an expression reading a time column as int64 microseconds
	// since the epoch, so that rows are scanned alike.
	micros func(col string) string
	// text reads an id column as text.
	text func(col string) string
}

var sqliteDialect = dialect{
	rebind:  func(q string) string { return q },
	timeArg: func(t time.Time) any { return t.UTC().UnixMicro() },
	micros:  func(col string) string { return col },
	text:    func(col string) string { return col },
}

var postgresDialect = dialect{
	rebind: func(q string) string {
		var b strings.Builder
		n := 0
		for i := 0; i < len(q); i++ {
			if q[i] == '?' {
				n++
				b.WriteString("$" + strconv.Itoa(n))
				continue
			}
			b.WriteByte(q[i])
		}
		return b.String()
	},
	timeArg: func(t time.Time) any { return t.UTC() },
	micros:  func(col string) string { return "(EXTRACT(EPOCH FROM " + col + ") * 1000000)::bigint" },
	text:    func(col string) string { return col + "::text" },
}

// sqlDB is the shared access both backends give to common.go.
type sqlDB struct {
	d dialect
	// query runs a read.
	query func(ctx context.Context, q string, args ...any) (rows, error)
	// exec runs one autocommitted write and returns the rows affected.
	exec func(ctx context.Context, q string, args ...any) (int64, error)
}

func (db sqlDB) rows(ctx context.Context, q string, args ...any) (rows, error) {
	return db.query(ctx, db.d.rebind(q), args...)
}

// purgeChunk bounds each delete so that a first purge of a large backlog
// never holds the write lock (SQLite) or a long transaction (PostgreSQL)
// that would stall the audit writer.
const purgeChunk = 5000

func (db sqlDB) purge(ctx context.Context, olderThan time.Time) (int64, error) {
	cut := db.d.timeArg(olderThan)
	var total int64
	for _, q := range []string{
		"DELETE FROM decisions WHERE id IN (SELECT id FROM decisions WHERE decided_at < ? LIMIT " + strconv.Itoa(purgeChunk) + ")",
		"DELETE FROM feedback WHERE id IN (SELECT id FROM feedback WHERE received_at < ? LIMIT " + strconv.Itoa(purgeChunk) + ")",
	} {
		for {
			n, err := db.exec(ctx, db.d.rebind(q), cut)
			if err != nil {
				return total, fmt.Errorf("purge: %w", err)
			}
			total += n
			if n < purgeChunk {
				break
			}
		}
	}
	return total, nil
}

func (db sqlDB) decisions(ctx context.Context, from, to time.Time) ([]Decision, error) {
	d := db.d
	r, err := db.rows(ctx, `SELECT `+d.text("id")+`, `+d.micros("decided_at")+`, service, hook, hook_instance,
		patient_hash, policy_revision, latency_us, error_kind, data_issues
		FROM decisions WHERE decided_at >= ? AND decided_at < ? ORDER BY decided_at, id`,
		d.timeArg(from), d.timeArg(to))
	if err != nil {
		return nil, fmt.Errorf("reading decisions: %w", err)
	}
	var out []Decision
	index := map[string]int{}
	err = each(r, func() error {
		var (
			x          Decision
			at, lat    int64
			dataIssues string
		)
		if err := r.Scan(&x.ID, &at, &x.Service, &x.Hook, &x.HookInstance, &x.PatientHash,
			&x.PolicyRevision, &lat, &x.ErrorKind, &dataIssues); err != nil {
			return err
		}
		x.Time, x.Latency = time.UnixMicro(at).UTC(), time.Duration(lat)*time.Microsecond
		if x.DataIssues, err = decodeList(dataIssues); err != nil {
			return err
		}
		index[x.ID] = len(out)
		out = append(out, x)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading decisions: %w", err)
	}
	r, err = db.rows(ctx, `SELECT `+d.text("c.decision_id")+`, c.card_uuid, c.rule_id, c.indicator, c.order_ref
		FROM decision_cards c JOIN decisions d ON d.id = c.decision_id
		WHERE d.decided_at >= ? AND d.decided_at < ? ORDER BY c.decision_id, c.position`,
		d.timeArg(from), d.timeArg(to))
	if err != nil {
		return nil, fmt.Errorf("reading decision cards: %w", err)
	}
	err = each(r, func() error {
		var (
			id string
			c  Card
		)
		if err := r.Scan(&id, &c.UUID, &c.Rule, &c.Indicator, &c.Order); err != nil {
			return err
		}
		if i, ok := index[id]; ok {
			out[i].Cards = append(out[i].Cards, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading decision cards: %w", err)
	}
	return out, nil
}

func (db sqlDB) feedback(ctx context.Context, from, to time.Time) ([]Feedback, error) {
	d := db.d
	r, err := db.rows(ctx, `SELECT card_uuid, service, outcome, accepted_suggestions, reason_system, reason_code,
		reason_display, user_comment, `+d.micros("outcome_at")+`, `+d.micros("received_at")+`, issuer, known
		FROM feedback WHERE received_at >= ? AND received_at < ? ORDER BY received_at, id`,
		d.timeArg(from), d.timeArg(to))
	if err != nil {
		return nil, fmt.Errorf("reading feedback: %w", err)
	}
	var out []Feedback
	err = each(r, func() error {
		var (
			f                 Feedback
			accepted          string
			outcome, received int64
		)
		if err := r.Scan(&f.CardUUID, &f.Service, &f.Outcome, &accepted, &f.ReasonSystem, &f.ReasonCode,
			&f.ReasonDisplay, &f.UserComment, &outcome, &received, &f.Issuer, &f.Known); err != nil {
			return err
		}
		f.OutcomeTime, f.ReceivedAt = time.UnixMicro(outcome).UTC(), time.UnixMicro(received).UTC()
		var err error
		f.AcceptedSuggestions, err = decodeList(accepted)
		out = append(out, f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading feedback: %w", err)
	}
	return out, nil
}

// each calls fn for every row and closes r.
func each(r rows, fn func() error) error {
	defer r.Close()
	for r.Next() {
		if err := fn(); err != nil {
			return err
		}
	}
	return r.Err()
}

// UnknownRule is the Rule of the report row that counts feedback for cards
// the decision audit does not hold (never issued, or already purged).
const UnknownRule = "(unknown card)"

// RuleReport summarises one rule over a period: the alert-fatigue view.
type RuleReport struct {
	Rule string `json:"rule"`
	// Shown counts the cards of this rule in decisions made in the period.
	Shown int64 `json:"shown"`
	// Accepted, Overridden and Comments count feedback whose outcome time
	// is in the period, whenever its card was shown.
	Accepted   int64 `json:"accepted"`
	Overridden int64 `json:"overridden"`
	Comments   int64 `json:"comments"`
	// TopOverrideReasons are the three most frequent override reason
	// codes, most frequent first.
	TopOverrideReasons []ReasonCount `json:"topOverrideReasons"`
	// MedianLatency is the median latency of the calls in the period that
	// showed this rule (0 when none did).
	MedianLatency time.Duration `json:"-"`
}

// ReasonCount is how often a coded override reason was given.
type ReasonCount struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
	Count   int64  `json:"count"`
}

// ruleOf reads a feedback entry's rule through its card; LIMIT 1 because a
// card uuid recurs when a call is repeated, always with the same rule (the
// uuid is derived from it).
const ruleOf = `COALESCE((SELECT c.rule_id FROM decision_cards c WHERE c.card_uuid = f.card_uuid LIMIT 1), '')`

// report computes the report with portable SQL; the median is computed
// here because SQLite has no percentile function.
func (db sqlDB) report(ctx context.Context, from, to time.Time) ([]RuleReport, error) {
	if !from.Before(to) {
		return nil, fmt.Errorf("report: empty period %s to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	lo, hi := db.d.timeArg(from), db.d.timeArg(to)
	byRule := map[string]*RuleReport{}
	get := func(rule string) *RuleReport {
		if rule == "" {
			rule = UnknownRule
		}
		r, ok := byRule[rule]
		if !ok {
			r = &RuleReport{Rule: rule, TopOverrideReasons: []ReasonCount{}}
			byRule[rule] = r
		}
		return r
	}

	r, err := db.rows(ctx, `SELECT c.rule_id, count(*) FROM decision_cards c JOIN decisions d ON d.id = c.decision_id
		WHERE d.decided_at >= ? AND d.decided_at < ? GROUP BY c.rule_id`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("report: cards shown: %w", err)
	}
	if err := each(r, func() error {
		var rule string
		var n int64
		if err := r.Scan(&rule, &n); err != nil {
			return err
		}
		get(rule).Shown = n
		return nil
	}); err != nil {
		return nil, fmt.Errorf("report: cards shown: %w", err)
	}

	// One latency per call and rule: a call showing a rule on two orders
	// is one request.
	r, err = db.rows(ctx, `SELECT c.rule_id, d.latency_us FROM decision_cards c JOIN decisions d ON d.id = c.decision_id
		WHERE d.decided_at >= ? AND d.decided_at < ? GROUP BY c.rule_id, d.id, d.latency_us`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("report: latencies: %w", err)
	}
	lat := map[string][]int64{}
	if err := each(r, func() error {
		var rule string
		var us int64
		if err := r.Scan(&rule, &us); err != nil {
			return err
		}
		lat[rule] = append(lat[rule], us)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("report: latencies: %w", err)
	}
	for rule, l := range lat {
		get(rule).MedianLatency = time.Duration(median(l)) * time.Microsecond
	}

	r, err = db.rows(ctx, `SELECT rule, outcome, count(*), SUM(CASE WHEN user_comment <> '' THEN 1 ELSE 0 END)
		FROM (SELECT `+ruleOf+` AS rule, f.outcome, f.user_comment FROM feedback f
		      WHERE f.outcome_at >= ? AND f.outcome_at < ?) x
		GROUP BY rule, outcome`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("report: feedback: %w", err)
	}
	if err := each(r, func() error {
		var rule, outcome string
		var n, comments int64
		if err := r.Scan(&rule, &outcome, &n, &comments); err != nil {
			return err
		}
		rr := get(rule)
		if outcome == OutcomeAccepted {
			rr.Accepted += n
		} else {
			rr.Overridden += n
		}
		rr.Comments += comments
		return nil
	}); err != nil {
		return nil, fmt.Errorf("report: feedback: %w", err)
	}

	r, err = db.rows(ctx, `SELECT rule, reason_system, reason_code, MAX(reason_display), count(*)
		FROM (SELECT `+ruleOf+` AS rule, f.reason_system, f.reason_code, f.reason_display FROM feedback f
		      WHERE f.outcome = 'overridden' AND f.reason_code <> '' AND f.outcome_at >= ? AND f.outcome_at < ?) x
		GROUP BY rule, reason_system, reason_code`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("report: override reasons: %w", err)
	}
	if err := each(r, func() error {
		var rule string
		var rc ReasonCount
		if err := r.Scan(&rule, &rc.System, &rc.Code, &rc.Display, &rc.Count); err != nil {
			return err
		}
		rr := get(rule)
		rr.TopOverrideReasons = append(rr.TopOverrideReasons, rc)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("report: override reasons: %w", err)
	}

	out := make([]RuleReport, 0, len(byRule))
	for _, rr := range byRule {
		slices.SortFunc(rr.TopOverrideReasons, func(a, b ReasonCount) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Code, b.Code), cmp.Compare(a.System, b.System))
		})
		if len(rr.TopOverrideReasons) > 3 {
			rr.TopOverrideReasons = rr.TopOverrideReasons[:3]
		}
		out = append(out, *rr)
	}
	// Rules in ID order, the unknown-card row last.
	slices.SortFunc(out, func(a, b RuleReport) int {
		return cmp.Or(cmp.Compare(btoi(a.Rule == UnknownRule), btoi(b.Rule == UnknownRule)), cmp.Compare(a.Rule, b.Rule))
	})
	return out, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// median of xs (which it sorts); the mean of the middle two for an even
// count, 0 for none.
func median(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	m := len(xs) / 2
	if len(xs)%2 == 1 {
		return xs[m]
	}
	return (xs[m-1] + xs[m]) / 2
}
