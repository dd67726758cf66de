package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMigrationsMatchAcrossDialects(t *testing.T) {
	lite, err := loadMigrations("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := loadMigrations("postgres")
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].version != pg[i].version || lite[i].name != pg[i].name {
			t.Errorf("migration %d: sqlite %04d_%s, postgres %04d_%s", i, lite[i].version, lite[i].name, pg[i].version, pg[i].name)
		}
	}
}

// TestSameLogicalSchema compares the tables and columns both backends
// create.
func TestSameLogicalSchema(t *testing.T) {
	ctx := context.Background()
	lite := migrated(t, sqliteBackend(t)).(*sqliteStore)
	pg := migrated(t, postgresBackend(t)).(*pgStore)
	columns := func(r rows, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		if err := each(r, func() error {
			var tbl, col string
			if err := r.Scan(&tbl, &col); err != nil {
				return err
			}
			out = append(out, tbl+"."+col)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		sort.Strings(out)
		return out
	}
	a := columns(lite.sql.query(ctx, `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`))
	b := columns(pg.sql.query(ctx, `SELECT table_name::text, column_name::text FROM information_schema.columns
		WHERE table_schema = current_schema()`))
	if !reflect.DeepEqual(a, b) {
		t.Errorf("schemas differ:\nsqlite   %v\npostgres %v", a, b)
	}
}

func TestMigrateFromEmptyAndRerun(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		ctx := context.Background()
		st := b.open(t)
		for i := range 3 {
			if err := st.Migrate(ctx); err != nil {
				t.Fatalf("migrate #%d: %v", i+1, err)
			}
		}
		ms, _ := loadMigrations("sqlite")
		if n := count(t, st, "schema_migrations"); n != int64(len(ms)) {
			t.Errorf("schema_migrations has %d rows, want %d", n, len(ms))
		}
		// Data survives a later run, by this store and by a new one.
		if err := st.InsertDecisions(ctx, []Decision{decision(t0, "h1", 2)}); err != nil {
			t.Fatal(err)
		}
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := b.open(t).Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, st, "decision_cards"); n != 2 {
			t.Errorf("decision_cards = %d after re-migration, want 2", n)
		}
	})
}

// TestConcurrentMigrate starts several replicas on one empty database at
// once.
func TestConcurrentMigrate(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		const replicas = 8
		stores := make([]Store, replicas)
		for i := range stores {
			stores[i] = b.open(t)
		}
		var wg sync.WaitGroup
		errs := make([]error, replicas)
		start := make(chan struct{})
		for i, st := range stores {
			wg.Go(func() {
				<-start
				errs[i] = st.Migrate(context.Background())
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("replica %d: %v", i, err)
			}
		}
		ms, _ := loadMigrations("sqlite")
		if n := count(t, stores[0], "schema_migrations"); n != int64(len(ms)) {
			t.Errorf("schema_migrations has %d rows, want %d", n, len(ms))
		}
	})
}

func TestRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		ctx := context.Background()
		st := migrated(t, b)
		d := Decision{
			ID:   "0190f7d2-7c3a-7a1e-8b2b-1c2d3e4f5a6b",
			Time: time.Date(2026, 10, 3, 14, 5, 6, 123456789, time.FixedZone("CEST", 7200)),
			// Service, hook and instance as a client would send them.
			Service: "jak-order-sign", Hook: "order-sign", HookInstance: "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
			PatientHash: patient, PolicyRevision: "git:3f2a9c1", Latency: 48*time.Millisecond + 1234*time.Nanosecond,
			ErrorKind:  "precondition-failed",
			DataIssues: []string{"fetch-failed:conditions", "paging-capped:observations"},
			Cards: []Card{
				{UUID: "c-1", Rule: "ruxo-bsa-limit", Indicator: "critical", Order: "MedicationRequest/ab12"},
				{UUID: "c-2", Rule: "upa-dose-ad", Indicator: "warning"},
				{UUID: "c-3", Rule: "jak-tb-screen", Indicator: "info", Order: "MedicationRequest/cd34"},
			},
		}
		if err := st.InsertDecisions(ctx, []Decision{d}); err != nil {
			t.Fatal(err)
		}
		fb := []Feedback{{
			CardUUID: "c-1", Service: "jak-order-sign", Outcome: OutcomeOverridden,
			ReasonSystem: "urn:labelguard:override", ReasonCode: "benefit-outweighs-risk", ReasonDisplay: "Benefit outweighs risk",
			UserComment: "discussed with dermatology, nul\x00 and bad \xff byte",
			OutcomeTime: time.Date(2026, 10, 3, 14, 6, 0, 999, time.UTC),
			ReceivedAt:  time.Date(2026, 10, 3, 14, 6, 1, 0, time.UTC), Issuer: "https://ehr.example.org",
		}, {
			CardUUID: "c-2", Service: "jak-order-sign", Outcome: OutcomeAccepted,
			AcceptedSuggestions: []string{"s-1", "s-2"},
			OutcomeTime:         time.Date(2026, 10, 3, 14, 7, 0, 0, time.UTC),
			ReceivedAt:          time.Date(2026, 10, 3, 14, 7, 1, 0, time.UTC), Issuer: "https://ehr.example.org",
		}}
		unknown, err := st.InsertFeedback(ctx, fb)
		if err != nil || unknown != 0 {
			t.Fatalf("InsertFeedback = %d, %v", unknown, err)
		}

		got, err := st.Decisions(ctx, allFrom, allTo)
		if err != nil {
			t.Fatal(err)
		}
		want := d
		want.Time = time.Date(2026, 10, 3, 12, 5, 6, 123456000, time.UTC)
		want.Latency = 48*time.Millisecond + time.Microsecond
		if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Errorf("decisions:\n got %+v\nwant %+v", got, want)
		}

		gotF, err := st.Feedback(ctx, allFrom, allTo)
		if err != nil {
			t.Fatal(err)
		}
		wantF := []Feedback{fb[0], fb[1]}
		wantF[0].UserComment = "discussed with dermatology, nul and bad \uFFFD byte"
		wantF[0].OutcomeTime = time.Date(2026, 10, 3, 14, 6, 0, 0, time.UTC)
		wantF[0].Known, wantF[1].Known = true, true
		if !reflect.DeepEqual(gotF, wantF) {
			t.Errorf("feedback:\n got %+v\nwant %+v", gotF, wantF)
		}

		// A retried batch and a retried feedback call write nothing twice.
		if err := st.InsertDecisions(ctx, []Decision{d}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.InsertFeedback(ctx, fb); err != nil {
			t.Fatal(err)
		}
		if n := count(t, st, "decisions"); n != 1 {
			t.Errorf("decisions = %d after retry, want 1", n)
		}
		if n := count(t, st, "decision_cards"); n != 3 {
			t.Errorf("decision_cards = %d after retry, want 3", n)
		}
		if n := count(t, st, "feedback"); n != 2 {
			t.Errorf("feedback = %d after retry, want 2", n)
		}
	})
}

func TestValidation(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		ctx := context.Background()
		st := migrated(t, b)
		clear := decision(t0, "h", 1)
		clear.PatientHash = "MRN-0042" // an identifier in clear, by mistake
		for name, d := range map[string]Decision{
			"clear patient id":  clear,
			"no service":        {Hook: "order-sign"},
			"bad id":            {ID: "x", Service: "s", Hook: "h"},
			"card without rule": {Service: "s", Hook: "h", Cards: []Card{{UUID: "u"}}},
		} {
			if err := st.InsertDecisions(ctx, []Decision{d}); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", name, err)
			}
		}
		for name, f := range map[string]Feedback{
			"no card":     {Outcome: OutcomeAccepted, OutcomeTime: t0},
			"bad outcome": {CardUUID: "c", Outcome: "ignored", OutcomeTime: t0},
			"no time":     {CardUUID: "c", Outcome: OutcomeAccepted},
		} {
			if _, err := st.InsertFeedback(ctx, []Feedback{f}); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", name, err)
			}
		}
		if n := count(t, st, "decisions") + count(t, st, "feedback"); n != 0 {
			t.Errorf("%d rows written from invalid records", n)
		}
	})
}

// TestFeedbackUnknownCard: feedback for a card never issued is stored and
// flagged; feedback that beat its (asynchronous) audit record becomes known
// when the record arrives.
func TestFeedbackUnknownCard(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		ctx := context.Background()
		st := migrated(t, b)
		d := decision(t0, "late", 1)
		fb := []Feedback{
			{CardUUID: "never-issued", Service: "jak-order-sign", Outcome: OutcomeOverridden, OutcomeTime: t0},
			{CardUUID: d.Cards[0].UUID, Service: "jak-order-sign", Outcome: OutcomeOverridden, OutcomeTime: t0},
		}
		unknown, err := st.InsertFeedback(ctx, fb)
		if err != nil {
			t.Fatal(err)
		}
		if unknown != 2 {
			t.Errorf("unknown = %d, want 2", unknown)
		}
		if err := st.InsertDecisions(ctx, []Decision{d}); err != nil {
			t.Fatal(err)
		}
		got, err := st.Feedback(ctx, allFrom, allTo)
		if err != nil {
			t.Fatal(err)
		}
		known := map[string]bool{}
		for _, f := range got {
			known[f.CardUUID] = f.Known
		}
		if len(got) != 2 || known["never-issued"] || !known[d.Cards[0].UUID] {
			t.Errorf("known flags = %v (of %d rows), want never-issued false, the late card true", known, len(got))
		}
	})
}

func TestConcurrentWrites(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		ctx := context.Background()
		st := migrated(t, b)
		const workers, batches, perBatch = 16, 20, 5
		var wg sync.WaitGroup
		errs := make(chan error, workers*batches*2)
		for w := range workers {
			wg.Go(func() {
				for i := range batches {
					ds := make([]Decision, perBatch)
					for k := range ds {
						ds[k] = decision(t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("w%d-b%d-%d", w, i, k), 2)
					}
					if err := st.InsertDecisions(ctx, ds); err != nil {
						errs <- err
					}
					_, err := st.InsertFeedback(ctx, []Feedback{{
						CardUUID: ds[0].Cards[0].UUID, Service: "s", Outcome: OutcomeAccepted,
						AcceptedSuggestions: []string{"x"}, OutcomeTime: t0,
					}})
					if err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n := count(t, st, "decisions"); n != workers*batches*perBatch {
			t.Errorf("decisions = %d, want %d", n, workers*batches*perBatch)
		}
		if n := count(t, st, "decision_cards"); n != workers*batches*perBatch*2 {
			t.Errorf("decision_cards = %d, want %d", n, workers*batches*perBatch*2)
		}
		if n := count(t, st, "feedback"); n != workers*batches {
			t.Errorf("feedback = %d, want %d", n, workers*batches)
		}
	})
}

func TestPurge(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		ctx := context.Background()
		st := migrated(t, b)
		now := time.Now()
		old, recent := now.Add(-40*24*time.Hour), now.Add(-24*time.Hour)
		ds := []Decision{decision(old, "old", 3), decision(recent, "recent", 2)}
		if err := st.InsertDecisions(ctx, ds); err != nil {
			t.Fatal(err)
		}
		if _, err := st.InsertFeedback(ctx, []Feedback{
			{CardUUID: "old-card-0", Service: "s", Outcome: OutcomeOverridden, OutcomeTime: old, ReceivedAt: old},
			{CardUUID: "recent-card-0", Service: "s", Outcome: OutcomeOverridden, OutcomeTime: recent, ReceivedAt: recent},
		}); err != nil {
			t.Fatal(err)
		}
		n, err := st.Purge(ctx, now.Add(-30*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("Purge = %d, want 2 (one decision, one feedback)", n)
		}
		left, err := st.Decisions(ctx, allFrom, allTo)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 1 || left[0].HookInstance != "recent" || len(left[0].Cards) != 2 {
			t.Errorf("left %+v, want the recent decision with 2 cards", left)
		}
		if c := count(t, st, "decision_cards"); c != 2 {
			t.Errorf("decision_cards = %d, want 2: the old decision's cards must go with it", c)
		}
		if c := count(t, st, "feedback"); c != 1 {
			t.Errorf("feedback = %d, want 1", c)
		}
		if n, err := st.Purge(ctx, now.Add(-30*24*time.Hour)); err != nil || n != 0 {
			t.Errorf("second purge = %d, %v; want 0, nil", n, err)
		}
	})
}

// TestPurgeChunks purges more rows than one delete statement takes.
func TestPurgeChunks(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		ctx := context.Background()
		st := migrated(t, b)
		const n = purgeChunk + 123
		ds := make([]Decision, n)
		for i := range ds {
			ds[i] = decision(t0, fmt.Sprintf("h%d", i), 1)
		}
		if err := st.InsertDecisions(ctx, ds); err != nil {
			t.Fatal(err)
		}
		got, err := st.Purge(ctx, t0.Add(time.Second))
		if err != nil || got != n {
			t.Errorf("Purge = %d, %v; want %d", got, err, n)
		}
	})
}

func TestRunRetention(t *testing.T) {
	st := migrated(t, sqliteBackend(t))
	ctx, cancel := context.WithCancel(context.Background())
	if err := st.InsertDecisions(ctx, []Decision{decision(time.Now().Add(-48*time.Hour), "old", 1)}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { RunRetention(ctx, st, time.Hour, 24*time.Hour, nil); close(done) }()
	waitFor(t, "RunRetention's purge at start", func() bool { return count(t, st, "decisions") == 0 })
	cancel()
	<-done
	// Disabled retention returns at once.
	RunRetention(context.Background(), st, time.Hour, 0, nil)
}

func TestReport(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		ctx := context.Background()
		st := seedReport(t, migrated(t, b))
		got, err := st.Report(ctx, t0, t0.AddDate(0, 1, 0))
		if err != nil {
			t.Fatal(err)
		}
		want := wantReport()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("report:\n got %+v\nwant %+v", got, want)
		}
		if _, err := st.Report(ctx, t0, t0); err == nil {
			t.Error("an empty period was accepted")
		}
	})
}

func card(uuid, rule string) Card {
	return Card{UUID: uuid, Rule: rule, Indicator: "warning", Order: "MedicationRequest/" + patient}
}

// seedReport writes the report fixture (see wantReport).
func seedReport(t testing.TB, st Store) Store {
	ctx := context.Background()
	at := func(day int) time.Time { return t0.AddDate(0, 0, day-1).Add(10 * time.Hour) }
	dec := func(id string, day int, lat time.Duration, cards ...Card) Decision {
		d := decision(at(day), id, 0)
		d.Latency, d.Cards = lat, cards
		return d
	}
	ds := []Decision{
		dec("d1", 2, 10*time.Millisecond, card("a1", "rule-a"), card("b1", "rule-b")),
		dec("d2", 3, 30*time.Millisecond, card("a2", "rule-a"), card("a2x", "rule-a")),
		dec("d3", 4, 20*time.Millisecond, card("a3", "rule-a"), card("a3b", "rule-a")),
		dec("d4", -5, 999*time.Millisecond, card("a4", "rule-a")), // September: not shown in October
	}
	if err := st.InsertDecisions(ctx, ds); err != nil {
		t.Fatal(err)
	}
	over := func(c, code, comment string, day int) Feedback {
		f := Feedback{CardUUID: c, Service: "jak-order-sign", Outcome: OutcomeOverridden, UserComment: comment, OutcomeTime: at(day)}
		if code != "" {
			f.ReasonSystem, f.ReasonCode, f.ReasonDisplay = "urn:labelguard:override", code, "Reason "+code
		}
		return f
	}
	acc := func(c string, day int) Feedback {
		return Feedback{CardUUID: c, Service: "jak-order-sign", Outcome: OutcomeAccepted, AcceptedSuggestions: []string{c + "-s0"}, OutcomeTime: at(day)}
	}
	fb := []Feedback{
		over("a1", "c1", "patient informed", 2),
		over("a2", "c1", "", 3),
		over("a2x", "c2", "", 3),
		over("a3b", "c4", "", 4),
		over("a4", "c3", "seen last month", 1), // shown in September, overridden in October
		acc("a3", 4),
		acc("b1", 2),
		over("nobody-issued-this", "c1", "", 5),
		over("a1", "c9", "", 40), // November: out of the period
	}
	if _, err := st.InsertFeedback(ctx, fb); err != nil {
		t.Fatal(err)
	}
	return st
}

func wantReport() []RuleReport {
	rc := func(code string, n int64) ReasonCount {
		return ReasonCount{System: "urn:labelguard:override", Code: code, Display: "Reason " + code, Count: n}
	}
	return []RuleReport{
		{Rule: "rule-a", Shown: 5, Accepted: 1, Overridden: 5, Comments: 2,
			TopOverrideReasons: []ReasonCount{rc("c1", 2), rc("c2", 1), rc("c3", 1)}, MedianLatency: 20 * time.Millisecond},
		{Rule: "rule-b", Shown: 1, Accepted: 1, TopOverrideReasons: []ReasonCount{}, MedianLatency: 10 * time.Millisecond},
		{Rule: UnknownRule, Overridden: 1, TopOverrideReasons: []ReasonCount{rc("c1", 1)}},
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []int64
		want int64
	}{{nil, 0}, {[]int64{5}, 5}, {[]int64{9, 1, 5}, 5}, {[]int64{4, 1, 3, 2}, 2}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestOpenPicksBackend(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if st.Backend() != "sqlite" {
		t.Errorf("backend = %s", st.Backend())
	}
	_ = st.Close()
	b := postgresBackend(t)
	st, err = Open(ctx, Config{DataDir: t.TempDir(), PostgresDSN: b.dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Backend() != "postgres" {
		t.Errorf("backend = %s", st.Backend())
	}
	if err := st.Ping(ctx); err != nil {
		t.Error(err)
	}
	if _, err := Open(ctx, Config{PostgresDSN: "postgres://nobody@127.0.0.1:1/x?connect_timeout=2"}); err == nil ||
		!strings.Contains(err.Error(), "postgres") {
		t.Errorf("unreachable DSN: err = %v", err)
	}
}
