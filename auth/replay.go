package auth

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"
)

// ReplayCache remembers which tokens were used, by issuer and jti.
//
// Contract for implementations (the verifier relies on it):
//
//   - Seen atomically checks and records: the first call for an (iss, jti)
//     pair returns false and records it; every later call for the same
//     pair returns true until at least exp. "First use wins", also across
//     concurrent calls and, for a shared store, across replicas (for
//     instance an INSERT that fails on a unique (iss, jti) key).
//   - exp is the instant after which the token can no longer be accepted;
//     the entry may be forgotten after it, never before.
//   - An error means the answer is unknown; the verifier then rejects the
//     token (fails closed). Implementations must not return false on
//     error.
//   - Seen is called only for tokens whose signature and claims verified,
//     and must be safe for concurrent use. iss and jti are at most a few
//     hundred bytes and must be compared exactly.
type ReplayCache interface {
	Seen(ctx context.Context, iss, jti string, exp time.Time) (bool, error)
}

// DefaultReplayCacheSize is the entry bound of the cache NewVerifier
// creates when Config.Replay is nil.
const DefaultReplayCacheSize = 100_000

// ErrReplayCacheFull is returned by MemoryReplayCache when it holds its
// maximum number of unexpired entries; the token is then rejected rather
// than a used jti forgotten.
var ErrReplayCacheFull = errors.New("replay cache full")

// MemoryReplayCache is an in-memory ReplayCache for a single replica.
// Entries expire at their exp; the number of live entries is bounded.
type MemoryReplayCache struct {
	mu      sync.Mutex
	max     int
	now     func() time.Time
	entries map[replayKey]time.Time
	queue   expiryQueue
}

type replayKey struct{ iss, jti string }

// NewMemoryReplayCache returns a cache holding at most maxEntries unexpired
// entries (DefaultReplayCacheSize when maxEntries <= 0), using now as its
// clock (time.Now when nil).
func NewMemoryReplayCache(maxEntries int, now func() time.Time) *MemoryReplayCache {
	if maxEntries <= 0 {
		maxEntries = DefaultReplayCacheSize
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryReplayCache{max: maxEntries, now: now, entries: map[replayKey]time.Time{}}
}

// Seen implements ReplayCache.
func (c *MemoryReplayCache) Seen(_ context.Context, iss, jti string, exp time.Time) (bool, error) {
	now := c.now()
	k := replayKey{iss, jti}
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.queue) > 0 && !c.queue[0].exp.After(now) {
		e := heap.Pop(&c.queue).(expiryItem)
		if c.entries[e.key].Equal(e.exp) {
			delete(c.entries, e.key)
		}
	}
	if _, ok := c.entries[k]; ok {
		return true, nil
	}
	if !exp.After(now) {
		return false, nil // already unacceptable: nothing to remember
	}
	if len(c.entries) >= c.max {
		return false, ErrReplayCacheFull
	}
	c.entries[k] = exp
	heap.Push(&c.queue, expiryItem{exp: exp, key: k})
	return false, nil
}

// Len returns the number of entries held, expired ones included until the
// next Seen.
func (c *MemoryReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

type expiryItem struct {
	exp time.Time
	key replayKey
}

// expiryQueue is a min-heap of entries by expiry.
type expiryQueue []expiryItem

func (q expiryQueue) Len() int           { return len(q) }
func (q expiryQueue) Less(i, j int) bool { return q[i].exp.Before(q[j].exp) }
func (q expiryQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *expiryQueue) Push(x any)        { *q = append(*q, x.(expiryItem)) }
func (q *expiryQueue) Pop() any {
	old := *q
	n := len(old)
	it := old[n-1]
	old[n-1] = expiryItem{}
	*q = old[:n-1]
	return it
}
