package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestReplayCacheFirstUseWins: on both backends, a token ID is accepted
// once, even when two replicas present it at the same moment, and another
// ID or issuer is independent.
func TestReplayCacheFirstUseWins(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		ctx := context.Background()
		a, c := migrated(t, b), b.open(t) // two "replicas" on one database
		exp := time.Now().Add(5 * time.Minute)
		var fresh atomic.Int32
		var wg sync.WaitGroup
		for _, st := range []Store{a, c, a, c} {
			wg.Add(1)
			go func(rc ReplayCache) {
				defer wg.Done()
				seen, err := rc.Seen(ctx, "https://ehr.example", "jti-1", exp)
				if err != nil {
					t.Error(err)
					return
				}
				if !seen {
					fresh.Add(1)
				}
			}(st.(ReplayCache))
		}
		wg.Wait()
		if n := fresh.Load(); n != 1 {
			t.Fatalf("jti-1 accepted %d times, want once", n)
		}
		for _, tc := range []struct{ iss, jti string }{{"https://ehr.example", "jti-2"}, {"https://other.example", "jti-1"}} {
			if seen, err := a.(ReplayCache).Seen(ctx, tc.iss, tc.jti, exp); err != nil || seen {
				t.Errorf("%s %s: seen=%v err=%v, want a first use", tc.iss, tc.jti, seen, err)
			}
		}
	})
}
