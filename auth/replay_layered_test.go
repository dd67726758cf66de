package auth

import (
	"context"
	"errors"
	"testing"
	"time"
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
