package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// defaultTestDSN is the PostgreSQL server of the development machine and
// of CI: local, trust authentication, database "test". Point the tests at
// another server with LABELGUARD_TEST_POSTGRES_DSN.
const defaultTestDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable&connect_timeout=5"

func testDSN() string {
	if v := os.Getenv("LABELGUARD_TEST_POSTGRES_DSN"); v != "" {
		return v
	}
	return defaultTestDSN
}

var (
	pgOnce sync.Once
	pgErr  error
)

// requirePostgres skips when PostgreSQL is unreachable, except in CI (CI
// set), where the PostgreSQL tests must run and a missing server fails.
func requirePostgres(t testing.TB) {
	t.Helper()
	pgOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, testDSN())
		if err != nil {
			pgErr = err
			return
		}
		pgErr = c.Ping(ctx)
		_ = c.Close(ctx)
	})
	if pgErr == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("PostgreSQL at LABELGUARD_TEST_POSTGRES_DSN (default %s) is unreachable and CI is set: %v", defaultTestDSN, pgErr)
	}
	t.Skipf("PostgreSQL unreachable (%v); set LABELGUARD_TEST_POSTGRES_DSN, or CI=1 to make this a failure", pgErr)
}

// backend opens stores on one test database. Several opens give several
// independent stores on the same data, as replicas would have.
type backend struct {
	name string
	dsn  string // PostgreSQL only: the DSN with this test's search_path
	open func(t testing.TB) Store
}

// withSearchPath returns dsn selecting schema.
func withSearchPath(t testing.TB, dsn, schema string) string {
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
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

// postgresBackend creates a schema unique to this test and drops it at the
// end, so that runs (and parallel tests) never see each other's rows.
func postgresBackend(t testing.TB) *backend {
	requirePostgres(t)
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "lg_test_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, testDSN())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	_ = admin.Close(ctx)
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, testDSN())
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	dsn := withSearchPath(t, testDSN(), schema)
	return &backend{name: "postgres", dsn: dsn, open: func(t testing.TB) Store {
		st, err := OpenPostgres(ctx, dsn)
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

// tcpProxy forwards to a PostgreSQL server and can cut every connection
// and refuse new ones, as a network partition or a server restart would.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newTCPProxy(t testing.TB, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { _ = ln.Close(); p.cut() })
	go p.serve()
	return p
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
		go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
	}
}

// cut closes every proxied connection.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

func (p *tcpProxy) setDown(v bool) {
	p.mu.Lock()
	p.down = v
	p.mu.Unlock()
	if v {
		p.cut()
	}
}
