package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoryReplayCache(t *testing.T) {
	c := newClock(t0)
	rc := NewMemoryReplayCache(2, c.now)
	ctx := context.Background()
	seen := func(iss, jti string, exp time.Time) bool {
		t.Helper()
		s, err := rc.Seen(ctx, iss, jti, exp)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if seen("i", "a", t0.Add(time.Minute)) {
		t.Fatal("first use seen")
	}
	if !seen("i", "a", t0.Add(time.Minute)) {
		t.Fatal("second use not seen")
	}
	if seen("j", "a", t0.Add(2*time.Minute)) {
		t.Fatal("same jti, other issuer seen")
	}
	if _, err := rc.Seen(ctx, "i", "b", t0.Add(time.Minute)); !errors.Is(err, ErrReplayCacheFull) {
		t.Fatalf("over the bound: %v, want ErrReplayCacheFull", err)
	}
	// After the first entry expires there is room again, and the expired
	// jti is forgotten (its token can no longer be accepted anyway).
	c.add(time.Minute)
	if seen("i", "b", t0.Add(5*time.Minute)) {
		t.Fatal("new entry after expiry seen")
	}
	if rc.Len() != 2 {
		t.Fatalf("Len = %d, want 2", rc.Len())
	}
	c.add(time.Minute) // ("j", "a") expires too
	if seen("i", "a", t0.Add(5*time.Minute)) {
		t.Fatal("expired entry still remembered")
	}
}

func TestMemoryReplayCacheConcurrentFirstUseWins(t *testing.T) {
	rc := NewMemoryReplayCache(0, func() time.Time { return t0 })
	var first atomic.Int64
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			s, err := rc.Seen(context.Background(), "iss", "same", t0.Add(time.Minute))
			if err == nil && !s {
				first.Add(1)
			}
		})
	}
	wg.Wait()
	if first.Load() != 1 {
		t.Fatalf("%d callers won, want exactly 1", first.Load())
	}
	for i := range 1000 {
		if s, err := rc.Seen(context.Background(), "iss", fmt.Sprint(i), t0.Add(time.Duration(i)*time.Second)); s || err != nil {
			t.Fatalf("fresh jti %d: %v %v", i, s, err)
		}
	}
}
