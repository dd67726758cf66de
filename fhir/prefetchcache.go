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
//
// It also keeps the typed R4 parse of the draft orders of interest (the
// elements the service reads, see typedView) under the same bounds: the
// order session's later calls send the same order again, and order-sign
// follows order-select, so that parse is made once per order version.
type PrefetchCache struct {
	ttl      time.Duration
	maxBytes int
	now      func() time.Time

	mu      sync.Mutex
	entries map[[sha256.Size]byte]*list.Element
	fifo    *list.List // of *cachedPart, newest first: the back expires first
	bytes   int

	hits, misses           atomic.Int64
	orderHits, orderMisses atomic.Int64
}

// cachedPart is one entry: a decoded prefetch value (part) or the typed
// parse of a draft order (typed). The two are told apart in the key (a
// leading domain byte), never by content.
type cachedPart struct {
	sum   [sha256.Size]byte
	size  int
	at    time.Time
	part  *store
	typed *typedParse
}

// Key domains of the cache's entries.
const (
	domainPrefetch byte = 'p'
	domainOrder    byte = 'o'
)

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

// Stats reports the prefetch values reused (hits) and decoded (misses)
// since the start.
func (c *PrefetchCache) Stats() (hits, misses int64) {
	if c == nil {
		return 0, 0
	}
	return c.hits.Load(), c.misses.Load()
}

// OrderStats reports the draft orders whose typed parse was reused (hits)
// and made (misses) since the start.
func (c *PrefetchCache) OrderStats() (hits, misses int64) {
	if c == nil {
		return 0, 0
	}
	return c.orderHits.Load(), c.orderMisses.Load()
}

// part returns the decoded contribution of one prefetch value, from the
// cache when the same key and bytes were decoded within the TTL. A nil
// cache decodes every time.
func (c *PrefetchCache) part(key string, raw json.RawMessage) *store {
	if c == nil {
		return decodePart(key, raw)
	}
	e := c.get(c.sum(domainPrefetch, key, raw), len(raw), &c.hits, &c.misses, func() *cachedPart {
		return &cachedPart{part: decodePart(key, raw)}
	})
	return e.part
}

// typed returns the typed parse of a reduced order (raw, its JSON), from
// the cache when the same bytes were parsed within the TTL. A nil cache
// parses every time.
func (c *PrefetchCache) typed(raw []byte, parse func() *typedParse) *typedParse {
	if c == nil {
		return parse()
	}
	e := c.get(c.sum(domainOrder, "", raw), len(raw), &c.orderHits, &c.orderMisses, func() *cachedPart {
		return &cachedPart{typed: parse()}
	})
	return e.typed
}

func (c *PrefetchCache) sum(domain byte, key string, raw []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte{domain})
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write(raw)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// get returns the entry under sum, made by build and kept (size bytes of
// source JSON) when it is not there or has expired. build runs outside
// the lock: concurrent first calls for the same value both make it, and
// the first to finish is kept.
func (c *PrefetchCache) get(sum [sha256.Size]byte, size int, hits, misses *atomic.Int64, build func() *cachedPart) *cachedPart {
	now := c.now()
	c.mu.Lock()
	for c.expired(c.fifo.Back(), now) {
		c.remove(c.fifo.Back())
	}
	if el, ok := c.entries[sum]; ok {
		e := el.Value.(*cachedPart)
		c.mu.Unlock()
		hits.Add(1)
		return e
	}
	c.mu.Unlock()
	misses.Add(1)
	e := build()
	if size > c.maxBytes {
		return e
	}
	e.sum, e.size, e.at = sum, size, now
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[sum]; !ok {
		c.entries[sum] = c.fifo.PushFront(e)
		c.bytes += size
	}
	for c.bytes > c.maxBytes {
		c.remove(c.fifo.Back())
	}
	return e
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
