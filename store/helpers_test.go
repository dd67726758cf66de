package store

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/labelguard/labelguard/internal/pgtest"
)

// backend opens stores on one test database. Several opens give several
// independent stores on the same data, as replicas would have.
type backend struct {
	name string
	dsn  string // PostgreSQL only: the DSN with this test's search_path
	open func(t testing.TB) Store
}

func sqliteBackend(t testing.TB) *backend {
	dir := t.TempDir()
	return &backend{name: "sqlite", open: func(t testing.TB) Store {
		st, err := OpenSQLite(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}}
}

// postgresBackend opens stores on a schema unique to this test, dropped at
// the end, so that runs (and parallel tests) never see each other's rows.
func postgresBackend(t testing.TB) *backend {
	return postgresBackendAt(pgtest.Schema(t))
}

func postgresBackendAt(dsn string) *backend {
	return &backend{name: "postgres", dsn: dsn, open: func(t testing.TB) Store {
		st, err := OpenPostgres(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}}
}

// eachBackend runs fn as a subtest against SQLite and PostgreSQL.
func eachBackend(t *testing.T, fn func(t *testing.T, b *backend)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteBackend(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgresBackend(t)) })
}

// migrated opens a store on b and migrates it.
func migrated(t testing.TB, b *backend) Store {
	st := b.open(t)
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// count returns the number of rows of table, straight from the database.
func count(t testing.TB, st Store, table string) int64 {
	t.Helper()
	var (
		n   int64
		err error
	)
	ctx := context.Background()
	switch s := st.(type) {
	case *flakyStore:
		return count(t, s.Store, table)
	case *refusingStore:
		return count(t, s.Store, table)
	case *sqliteStore:
		err = s.r.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n)
	case *pgStore:
		err = s.pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n)
	default:
		t.Fatalf("count: unexpected store %T", st)
	}
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

var (
	t0 = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	// all covers every time the tests use.
	allFrom, allTo = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

const patient = "0123456789abcdef0123456789abcdef"

// decision builds a valid decision with n cards of rule "rule-<k>".
func decision(at time.Time, hookInstance string, n int) Decision {
	d := Decision{
		Time: at, Service: "jak-order-sign", Hook: "order-sign", HookInstance: hookInstance,
		PatientHash: patient, PolicyRevision: "rev-1", Latency: 12 * time.Millisecond,
	}
	for k := range n {
		d.Cards = append(d.Cards, Card{
			UUID: fmt.Sprintf("%s-card-%d", hookInstance, k), Rule: fmt.Sprintf("rule-%d", k),
			Indicator: "warning", Order: "MedicationRequest/" + patient,
		})
	}
	return d
}

// flakyStore fails InsertDecisions and Ping while down, as a database
// outage would, and can hold writes to simulate a slow database.
type flakyStore struct {
	Store
	mu      sync.Mutex
	down    bool
	hold    chan struct{} // when non-nil, InsertDecisions waits for it to close
	entered chan struct{} // signalled when an InsertDecisions is held
	calls   int
}

var errDown = fmt.Errorf("simulated outage: %w", io.ErrUnexpectedEOF)

func (f *flakyStore) setDown(v bool) {
	f.mu.Lock()
	f.down = v
	f.mu.Unlock()
}

func (f *flakyStore) InsertDecisions(ctx context.Context, ds []Decision) error {
	f.mu.Lock()
	down, hold := f.down, f.hold
	f.calls++
	f.mu.Unlock()
	if hold != nil {
		select {
		case f.entered <- struct{}{}:
		default:
		}
		select {
		case <-hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if down {
		return errDown
	}
	return f.Store.InsertDecisions(ctx, ds)
}

func (f *flakyStore) Ping(ctx context.Context) error {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		return errDown
	}
	return f.Store.Ping(ctx)
}
