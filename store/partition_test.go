package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/labelguard/labelguard/internal/hang"
	"github.com/labelguard/labelguard/internal/pgtest"
	"github.com/labelguard/labelguard/store"
)

// TestDeferredCallersDoNotWaitOnAHungOpen: while an attempt to open the
// database hangs on a partitioned network, every other caller returns when
// its own context ends (before, the first caller held a lock for the
// whole attempt and the others queued behind it with no deadline: a
// replay check waited on the audit writer's connection attempt); once the
// network heals, an attempt completes and the store works.
func TestDeferredCallersDoNotWaitOnAHungOpen(t *testing.T) {
	dsn, proxy := pgtest.ViaProxy(t, pgtest.Schema(t))
	// A connection attempt that would outlast the test unless healed.
	dsn = pgtest.WithParam(t, dsn, "connect_timeout", "600")
	proxy.Partition()
	d := store.NewDeferred(store.Config{PostgresDSN: dsn}, time.Millisecond)
	t.Cleanup(func() { _ = d.Close() })

	// The first caller (the audit writer, say) starts an attempt.
	firstCtx, cancelFirst := context.WithCancel(context.Background())
	defer cancelFirst()
	first := make(chan error, 1)
	go func() { first <- d.Open(firstCtx) }()
	hang.Within(t, "the first connection attempt", func() bool {
		for proxy.Accepted() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		return true
	})

	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := hang.Within(t, "Ping during the hung attempt", func() error { return d.Ping(done) }); !errors.Is(err, store.ErrNotOpen) {
		t.Fatalf("Ping = %v, want ErrNotOpen", err)
	}
	err := hang.Within(t, "InsertFeedback during the hung attempt", func() error {
		_, err := d.InsertFeedback(done, []store.Feedback{{CardUUID: "c", Outcome: store.OutcomeAccepted, OutcomeTime: time.Now()}})
		return err
	})
	if !errors.Is(err, store.ErrNotOpen) {
		t.Fatalf("InsertFeedback = %v, want ErrNotOpen", err)
	}
	cancelFirst()
	if err := hang.Within(t, "the first caller after its context ended", func() error { return <-first }); !errors.Is(err, store.ErrNotOpen) {
		t.Fatalf("first Open = %v, want ErrNotOpen", err)
	}

	proxy.Heal()
	ctx, stop := context.WithTimeout(context.Background(), hang.Guard)
	defer stop()
	if err := d.Ping(ctx); err != nil {
		t.Fatalf("Ping after the partition healed: %v", err)
	}
}

// TestPostgresCallsHonourTheirDeadlineUnderPartition: with the network
// to PostgreSQL dropping packets, a feedback insert and a replay check
// return an error when their context ends instead of waiting for the
// network; after it heals, the pool serves calls again.
func TestPostgresCallsHonourTheirDeadlineUnderPartition(t *testing.T) {
	dsn, proxy := pgtest.ViaProxy(t, pgtest.Schema(t))
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{PostgresDSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	rc := st.(store.ReplayCache)
	exp := time.Now().Add(time.Hour)
	if seen, err := rc.Seen(ctx, "iss", "before", exp); err != nil || seen {
		t.Fatalf("Seen before the partition = %v, %v", seen, err)
	}

	proxy.Partition()
	short := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 200*time.Millisecond) }
	for i := range 3 { // the pool's connections, then new ones
		err := hang.Within(t, "Seen during the partition", func() error {
			c, cancel := short()
			defer cancel()
			_, err := rc.Seen(c, "iss", "during", exp)
			return err
		})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Seen %d during the partition = %v, want a deadline error", i, err)
		}
		err = hang.Within(t, "InsertFeedback during the partition", func() error {
			c, cancel := short()
			defer cancel()
			_, err := st.InsertFeedback(c, []store.Feedback{{CardUUID: "c", Outcome: store.OutcomeAccepted, OutcomeTime: time.Now()}})
			return err
		})
		if err == nil {
			t.Errorf("InsertFeedback %d succeeded during the partition", i)
		}
	}

	proxy.Heal()
	long, cancel := context.WithTimeout(ctx, hang.Guard)
	defer cancel()
	if seen, err := rc.Seen(long, "iss", "after", exp); err != nil || seen {
		t.Fatalf("Seen after the partition healed = %v, %v", seen, err)
	}
	if _, err := st.InsertFeedback(long, []store.Feedback{{CardUUID: "c2", Outcome: store.OutcomeAccepted, OutcomeTime: time.Now()}}); err != nil {
		t.Fatalf("InsertFeedback after the partition healed: %v", err)
	}
}
