package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labelguard/labelguard/internal/hang"
)

type failingReplay struct{ fail bool }

func (f *failingReplay) Seen(context.Context, string, string, time.Time) (bool, error) {
	if f.fail {
		return false, errors.New("database down")
	}
	return false, nil
}

func TestLayeredReplayCache(t *testing.T) {
	ctx := context.Background()
	exp := time.Now().Add(time.Minute)
	shared := NewMemoryReplayCache(100, nil)
	l := &LayeredReplayCache{Shared: shared, Local: NewMemoryReplayCache(100, nil)}
	if seen, err := l.Seen(ctx, "i", "a", exp); err != nil || seen {
		t.Fatalf("first use: %v %v", seen, err)
	}
	if seen, _ := l.Seen(ctx, "i", "a", exp); !seen {
		t.Error("replay on the same replica not detected")
	}
	// Another replica (its own local cache) sharing the same store.
	other := &LayeredReplayCache{Shared: shared, Local: NewMemoryReplayCache(100, nil)}
	if seen, _ := other.Seen(ctx, "i", "a", exp); !seen {
		t.Error("replay on another replica not detected through the shared cache")
	}
	// Shared cache down: the local cache still decides, and the call
	// does not fail.
	down := &LayeredReplayCache{Shared: &failingReplay{fail: true}, Local: NewMemoryReplayCache(100, nil)}
	if seen, err := down.Seen(ctx, "i", "b", exp); err != nil || seen {
		t.Fatalf("with the shared cache down: %v %v", seen, err)
	}
	if seen, _ := down.Seen(ctx, "i", "b", exp); !seen || down.Fallbacks() != 2 {
		t.Errorf("local replay not detected while the shared cache is down (fallbacks %d)", down.Fallbacks())
	}
}

// hangingReplay never answers before its context ends, as a database
// behind a partitioned network would not.
type hangingReplay struct {
	hang atomic.Bool
	mu   sync.Mutex
	// left is the time the last call's context had left when it came in.
	left time.Duration
}

func (h *hangingReplay) Seen(ctx context.Context, _, _ string, _ time.Time) (bool, error) {
	d, ok := ctx.Deadline()
	h.mu.Lock()
	h.left = -1
	if ok {
		h.left = time.Until(d)
	}
	h.mu.Unlock()
	if !h.hang.Load() {
		return false, nil
	}
	<-ctx.Done()
	return false, ctx.Err()
}

// TestLayeredReplayCacheBoundsTheSharedCheck: a shared cache that does not
// answer is given SharedTimeout, then the local cache decides; the outage
// is logged once when it starts and once when it ends, and every fallback
// is counted. A caller that goes away is not counted as an outage.
func TestLayeredReplayCacheBoundsTheSharedCheck(t *testing.T) {
	var logs bytes.Buffer
	shared := &hangingReplay{}
	l := &LayeredReplayCache{Shared: shared, Local: NewMemoryReplayCache(100, nil),
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)), SharedTimeout: 50 * time.Millisecond}
	exp := time.Now().Add(time.Hour)
	shared.hang.Store(true)
	for i := range 5 {
		r := hang.Within(t, "Seen", func() seenResult { return check(l, "i", fmt.Sprint("j", i), exp) })
		seen, err := r.seen, r.err
		if err != nil || seen {
			t.Fatalf("Seen %d with the shared cache hanging = %v, %v; want the local answer", i, seen, err)
		}
		shared.mu.Lock()
		left := shared.left
		shared.mu.Unlock()
		if left < 0 || left > l.SharedTimeout {
			t.Fatalf("the shared check had %v left, want a deadline of at most %v", left, l.SharedTimeout)
		}
	}
	if r := hang.Within(t, "Seen", func() seenResult { return check(l, "i", "j0", exp) }); !r.seen {
		t.Error("a replay was not detected by the local cache during the outage")
	}
	if l.Fallbacks() != 6 {
		t.Errorf("fallbacks = %d, want 6", l.Fallbacks())
	}
	if n := strings.Count(logs.String(), "shared replay cache unavailable"); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, logs.String())
	}
	shared.hang.Store(false)
	for range 3 {
		if _, err := l.Seen(context.Background(), "i", "k", exp); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "shared replay cache answers again"); n != 1 || !strings.Contains(logs.String(), `"fallbacks":6`) {
		t.Errorf("the recovery was logged %d times (want once, with the 6 fallbacks):\n%s", n, logs.String())
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	shared.hang.Store(true)
	if _, err := l.Seen(ctx, "i", "gone", exp); err == nil || l.Fallbacks() != 6 {
		t.Errorf("a cancelled caller: err %v, fallbacks %d; want an error and no fallback", err, l.Fallbacks())
	}
}

type seenResult struct {
	seen bool
	err  error
}

func check(c ReplayCache, iss, jti string, exp time.Time) seenResult {
	s, err := c.Seen(context.Background(), iss, jti, exp)
	return seenResult{s, err}
}
