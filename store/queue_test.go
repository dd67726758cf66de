package store

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labelguard/labelguard/internal/hang"
	"github.com/labelguard/labelguard/internal/pgtest"
)

// syncBuffer is a log sink safe for the writer goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, nil)), buf
}

func fastOpts(log *slog.Logger) QueueOptions {
	return QueueOptions{
		Capacity: 100000, BatchSize: 50, FlushInterval: 20 * time.Millisecond,
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		WriteTimeout: 5 * time.Second, Logger: log,
	}
}

// load enqueues n decisions from workers goroutines and returns how many
// were accepted.
func load(q *AuditQueue, prefix string, workers, n int, pace time.Duration) int64 {
	var (
		accepted atomic.Int64
		wg       sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := range n / workers {
				if q.Enqueue(decision(time.Now(), fmt.Sprintf("%s-%d-%d", prefix, w, i), 2)) {
					accepted.Add(1)
				}
				if pace > 0 {
					time.Sleep(pace)
				}
			}
		})
	}
	wg.Wait()
	return accepted.Load()
}

// TestQueueDrainOnClose: everything enqueued before Close is written by
// the time Close returns, on both backends.
func TestQueueDrainOnClose(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		st := migrated(t, b)
		log, _ := testLogger()
		opts := fastOpts(log)
		opts.FlushInterval = time.Hour // only batch size and Close flush
		q := NewAuditQueue(st, opts)
		const n = 4000
		accepted := load(q, "drain", 8, n, 0)
		if accepted != n {
			t.Fatalf("accepted %d of %d", accepted, n)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := q.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if got := count(t, st, "decisions"); got != n {
			t.Errorf("decisions in the database = %d, want %d", got, n)
		}
		if q.Written() != n || q.Dropped() != 0 || q.Depth() != 0 {
			t.Errorf("written %d dropped %d depth %d", q.Written(), q.Dropped(), q.Depth())
		}
		// After Close, Enqueue refuses and counts.
		if q.Enqueue(decision(t0, "late", 1)) || q.Dropped() != 1 {
			t.Errorf("Enqueue after Close: dropped = %d", q.Dropped())
		}
		if err := q.Close(ctx); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

// TestQueueOutage: the database fails for a while under load; nothing is
// dropped, and everything is written after recovery. (That Enqueue never
// waits for the database is TestQueueOverflow's: it enqueues while the
// writer is stuck in a write. A bound on how long Enqueue took here would
// measure the machine's load, not the queue.)
func TestQueueOutage(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		st := &flakyStore{Store: migrated(t, b)}
		log, logs := testLogger()
		q := NewAuditQueue(st, fastOpts(log))
		var total int64
		a := load(q, "before", 4, 400, 0)
		total += a
		st.setDown(true)
		a = load(q, "during", 4, 2000, 100*time.Microsecond)
		total += a
		waitFor(t, "a failed write attempt during the outage", func() bool { return q.WriteErrors() > 0 })
		if q.Depth() == 0 {
			t.Error("nothing is waiting during the outage")
		}
		st.setDown(false)
		a = load(q, "after", 4, 400, 0)
		total += a
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := q.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if total != 2800 || q.Dropped() != 0 {
			t.Errorf("accepted %d of 2800, dropped %d", total, q.Dropped())
		}
		if got := count(t, st, "decisions"); got != total {
			t.Errorf("decisions written = %d, want %d", got, total)
		}
		if q.WriteErrors() == 0 || !strings.Contains(logs.String(), "audit write failed") {
			t.Errorf("write errors = %d; log: %s", q.WriteErrors(), logs.String())
		}
	})
}

// TestQueuePostgresRealOutage cuts the network between the pool and the
// server (every connection closed, new ones refused), then restores it.
func TestQueuePostgresRealOutage(t *testing.T) {
	dsn, proxy := pgtest.ViaProxy(t, pgtest.Schema(t))
	st := migrated(t, postgresBackendAt(dsn))
	log, _ := testLogger()
	q := NewAuditQueue(st, fastOpts(log))
	a1 := load(q, "before", 4, 400, 0)
	time.Sleep(100 * time.Millisecond)
	proxy.Refuse(true)
	a2 := load(q, "during", 4, 1000, 200*time.Microsecond)
	waitFor(t, "a failed write attempt during the outage", func() bool { return q.WriteErrors() > 0 })
	if err := st.Ping(context.Background()); err == nil {
		t.Error("Ping succeeded during the outage")
	}
	proxy.Refuse(false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if q.Dropped() != 0 || q.WriteErrors() == 0 {
		t.Errorf("dropped %d, write errors %d", q.Dropped(), q.WriteErrors())
	}
	if got := count(t, st, "decisions"); got != a1+a2 {
		t.Errorf("decisions written = %d, want %d", got, a1+a2)
	}
}

// TestQueueOverflow: with the writer stuck, exactly the decisions beyond
// the capacity are dropped, counted and logged.
func TestQueueOverflow(t *testing.T) {
	st := &flakyStore{Store: migrated(t, sqliteBackend(t)), hold: make(chan struct{}), entered: make(chan struct{}, 1)}
	log, logs := testLogger()
	opts := fastOpts(log)
	opts.Capacity, opts.BatchSize = 10, 1
	q := NewAuditQueue(st, opts)
	q.Enqueue(decision(t0, "first", 1))
	<-st.entered // the writer holds "first" and is stuck
	for i := range 15 {
		q.Enqueue(decision(t0, fmt.Sprintf("x%d", i), 1))
	}
	if q.Dropped() != 5 || q.Depth() != 11 {
		t.Errorf("dropped %d depth %d, want 5 and 11", q.Dropped(), q.Depth())
	}
	close(st.hold)
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if q.Written() != 11 || count(t, st, "decisions") != 11 {
		t.Errorf("written %d", q.Written())
	}
	if !strings.Contains(logs.String(), "decisions dropped") || !strings.Contains(logs.String(), "dropped_total=5") {
		t.Errorf("drops not logged: %s", logs.String())
	}
}

// TestQueueCloseDeadline: when the database stays down past Close's
// deadline, Close returns and says how much was lost; nothing vanishes
// uncounted.
func TestQueueCloseDeadline(t *testing.T) {
	st := &flakyStore{Store: migrated(t, sqliteBackend(t))}
	st.setDown(true)
	log, logs := testLogger()
	q := NewAuditQueue(st, fastOpts(log))
	accepted := load(q, "x", 2, 300, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := q.Close(ctx)
	if err == nil || !strings.Contains(err.Error(), "300 decisions not written") {
		t.Errorf("Close = %v", err)
	}
	if q.Dropped() != uint64(accepted) || q.Written() != 0 || q.Depth() != 0 {
		t.Errorf("dropped %d written %d depth %d, want %d 0 0", q.Dropped(), q.Written(), q.Depth(), accepted)
	}
	if !strings.Contains(logs.String(), "shutdown deadline") {
		t.Errorf("loss not logged: %s", logs.String())
	}
}

// refusingStore refuses decisions of one hook instance, as a database
// would refuse a record it cannot store.
type refusingStore struct {
	Store
	bad string
}

func (r *refusingStore) InsertDecisions(ctx context.Context, ds []Decision) error {
	for _, d := range ds {
		if d.HookInstance == r.bad {
			return fmt.Errorf("value refused")
		}
	}
	return r.Store.InsertDecisions(ctx, ds)
}

// TestQueueBadRecord: a record the database refuses, or an invalid one, is
// dropped and logged; it does not block the queue or take its batch with it.
func TestQueueBadRecord(t *testing.T) {
	st := &refusingStore{Store: migrated(t, sqliteBackend(t)), bad: "poison"}
	log, logs := testLogger()
	opts := fastOpts(log)
	opts.FlushInterval = time.Hour
	opts.BatchSize = 10
	q := NewAuditQueue(st, opts)
	invalid := decision(t0, "invalid", 1)
	invalid.PatientHash = "MRN 12"
	for i := range 20 {
		switch i {
		case 3:
			q.Enqueue(decision(t0, "poison", 1))
		case 12:
			q.Enqueue(invalid)
		default:
			q.Enqueue(decision(t0, fmt.Sprintf("ok-%d", i), 1))
		}
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if q.Written() != 18 || q.Dropped() != 2 || count(t, st, "decisions") != 18 {
		t.Errorf("written %d dropped %d", q.Written(), q.Dropped())
	}
	if !strings.Contains(logs.String(), "refused by the database") || !strings.Contains(logs.String(), "invalid decision") {
		t.Errorf("log: %s", logs.String())
	}
}

// TestQueueFlushInterval: a lone decision is written within the flush
// interval, not held until a batch fills.
func TestQueueFlushInterval(t *testing.T) {
	st := migrated(t, sqliteBackend(t))
	log, _ := testLogger()
	q := NewAuditQueue(st, fastOpts(log))
	defer q.Close(context.Background())
	q.Enqueue(decision(t0, "lone", 1))
	// The batch (50) never fills: only the flush interval (20 ms) writes
	// it. hang.Guard tells that from never, whatever the load.
	waitFor(t, "a lone decision written by the flush interval", func() bool { return q.Written() == 1 })
}

// waitFor polls cond until it holds, failing t if it does not within
// hang.Guard: the tests wait for events, never for a time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(hang.Guard); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s (hung)", what, hang.Guard)
		}
	}
}
