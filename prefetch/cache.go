package prefetch

import (
	"container/list"
	"crypto/sha256"
	"encoding/json"
	"sync"
	"time"
)

// cacheKey identifies one fetched result. The rendered query carries the
// patient id and the token digest ties the result to the credential that
// was allowed to read it, so a result can neither answer a request about
// another patient nor be handed to a caller holding another token (which
// may have narrower scopes). Only the digest is kept: a cache dump or heap
// profile never holds a usable token.
type cacheKey struct {
	server string
	query  string
	token  [sha256.Size]byte
}

type cacheEntry struct {
	key     cacheKey
	value   json.RawMessage
	capped  bool
	entries int
	expires time.Time
}

// lru is a mutex-guarded least-recently-used cache bounded by entry count,
// total bytes and age. Contention is a non-issue at hook request rates, and
// a mutex keeps the invariants obvious.
type lru struct {
	mu       sync.Mutex
	ttl      time.Duration
	maxLen   int
	maxBytes int64
	bytes    int64
	order    *list.List // front = most recently used
	items    map[cacheKey]*list.Element
	now      func() time.Time
}

func newLRU(ttl time.Duration, maxLen int, maxBytes int64, now func() time.Time) *lru {
	return &lru{ttl: ttl, maxLen: maxLen, maxBytes: maxBytes, order: list.New(), items: map[cacheKey]*list.Element{}, now: now}
}

func (c *lru) get(k cacheKey) (cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		return cacheEntry{}, false
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		c.remove(el)
		return cacheEntry{}, false
	}
	c.order.MoveToFront(el)
	return *e, true
}

func (c *lru) put(e cacheEntry) {
	size := int64(len(e.value))
	if size > c.maxBytes {
		return // one oversized result must not flush everything else
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[e.key]; ok {
		c.remove(el)
	}
	e.expires = c.now().Add(c.ttl)
	c.items[e.key] = c.order.PushFront(&e)
	c.bytes += size
	for c.order.Len() > c.maxLen || c.bytes > c.maxBytes {
		c.remove(c.order.Back())
	}
}

func (c *lru) remove(el *list.Element) {
	e := c.order.Remove(el).(*cacheEntry)
	delete(c.items, e.key)
	c.bytes -= int64(len(e.value))
}

func (c *lru) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
