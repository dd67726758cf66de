package fhir

import (
	"container/list"
	"crypto/sha256"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"
)

// PrefetchCache remembers decoded prefetch values for a short while. An EHR
// sends the same prefetch with order-select and, seconds later, with
// order-sign for the same order session; decoding it (encoding/json into
// the resource structs) is the largest part of Derive. A value is reused
// only when its key and bytes are identical (SHA-256), so a changed record
// is always decoded afresh. What is stored is read-only once stored and
// shared by concurrent calls; it is never served after its TTL and is
// dropped by the next call after it (oldest first), or earlier when the
// cached values exceed maxBytes of source JSON. It holds patient data in
// memory only, never on disk.
type PrefetchCache struct {
	ttl      time.Duration
	maxBytes int
	now      func() time.Time

	mu      sync.Mutex
	entries map[[sha256.Size]byte]*list.Element
	fifo    *list.List // of *cachedPart, newest first: the back expires first
	bytes   int

	hits, misses atomic.Int64
}

type cachedPart struct {
	sum  [sha256.Size]byte
	size int
	at   time.Time
	part *store
}

// NewPrefetchCache returns a cache keeping values for ttl, up to maxBytes
// of source JSON. A ttl or maxBytes of zero or less returns nil, which
// caches nothing.
func NewPrefetchCache(ttl time.Duration, maxBytes int) *PrefetchCache {
	if ttl <= 0 || maxBytes <= 0 {
		return nil
	}
	return &PrefetchCache{ttl: ttl, maxBytes: maxBytes, now: time.Now,
		entries: map[[sha256.Size]byte]*list.Element{}, fifo: list.New()}
}

// Stats reports cache hits and misses since the start.
func (c *PrefetchCache) Stats() (hits, misses int64) {
	if c == nil {
		return 0, 0
	}
	return c.hits.Load(), c.misses.Load()
}

// part returns the decoded contribution of one prefetch value, from the
// cache when the same key and bytes were decoded within the TTL. A nil
// cache decodes every time.
func (c *PrefetchCache) part(key string, raw json.RawMessage) *store {
	if c == nil {
		return decodePart(key, raw)
	}
	h := sha256.New()
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write(raw)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	now := c.now()
	c.mu.Lock()
	for c.expired(c.fifo.Back(), now) {
		c.remove(c.fifo.Back())
	}
	if el, ok := c.entries[sum]; ok {
		e := el.Value.(*cachedPart)
		c.mu.Unlock()
		c.hits.Add(1)
		return e.part
	}
	c.mu.Unlock()
	c.misses.Add(1)
	p := decodePart(key, raw)
	if len(raw) > c.maxBytes {
		return p
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[sum]; !ok {
		c.entries[sum] = c.fifo.PushFront(&cachedPart{sum: sum, size: len(raw), at: now, part: p})
		c.bytes += len(raw)
	}
	for c.bytes > c.maxBytes {
		c.remove(c.fifo.Back())
	}
	return p
}

func (c *PrefetchCache) expired(el *list.Element, now time.Time) bool {
	return el != nil && now.Sub(el.Value.(*cachedPart).at) > c.ttl
}

func (c *PrefetchCache) remove(el *list.Element) {
	e := c.fifo.Remove(el).(*cachedPart)
	delete(c.entries, e.sum)
	c.bytes -= e.size
}

// decodePart decodes one prefetch value on its own.
func decodePart(key string, raw json.RawMessage) *store {
	p := newStore()
	p.addValue(key, raw)
	return p
}

// merge adds a value's contribution as decoding it here would have: a
// resource already present (from an earlier key) counts once, the first
// fullUrl mapping wins, issues add up in first-seen order. The part is
// only read.
func (s *store) merge(p *store) {
	for _, it := range p.items {
		if _, dup := s.byRef[it.ref]; dup {
			continue
		}
		s.items = append(s.items, it)
		s.byRef[it.ref] = it
	}
	for u, ref := range p.fullURL {
		if _, ok := s.fullURL[u]; !ok {
			s.fullURL[u] = ref
		}
	}
	for _, k := range p.order {
		s.issue(k.Kind, k.Key, k.Detail, p.issues[k])
	}
	s.repairs = append(s.repairs, p.repairs...)
}
