package pipeline

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"
	"weak"

	"github.com/labelguard/labelguard/engine"
)

// boundedStore holds values made by a policy set for ttl, up to maxBytes
// of their estimated size, dropping the oldest first: the decisions and
// the derived facts of DecisionCache.
type boundedStore[V any] struct {
	ttl      time.Duration
	maxBytes int

	mu      sync.Mutex
	entries map[[sha256.Size]byte]*list.Element
	fifo    *list.List // of *storeEntry[V], newest first
	bytes   int
}

type storeEntry[V any] struct {
	key  [sha256.Size]byte
	set  weak.Pointer[engine.PolicySet]
	at   time.Time
	size int
	v    V
}

func newBoundedStore[V any](ttl time.Duration, maxBytes int) *boundedStore[V] {
	return &boundedStore[V]{ttl: ttl, maxBytes: maxBytes, entries: map[[sha256.Size]byte]*list.Element{}, fifo: list.New()}
}

// get returns the value stored under key by the policy set ps within ttl
// of now.
func (s *boundedStore[V]) get(key [sha256.Size]byte, ps *engine.PolicySet, now time.Time) (V, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	if el, ok := s.entries[key]; ok {
		e := el.Value.(*storeEntry[V])
		if e.set == weak.Make(ps) && fresh(e.at, now, s.ttl) {
			return e.v, true
		}
	}
	var zero V
	return zero, false
}

// put stores a value of ps made at now, of about size bytes; the store
// keeps it read-only from here on.
func (s *boundedStore[V]) put(key [sha256.Size]byte, ps *engine.PolicySet, v V, size int, now time.Time) {
	size += entryOverhead
	if size > s.maxBytes {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.entries[key]; ok {
		s.remove(el) // a concurrent twin, or one made by another set
	}
	s.entries[key] = s.fifo.PushFront(&storeEntry[V]{key: key, set: weak.Make(ps), at: now, size: size, v: v})
	s.bytes += size
	for s.bytes > s.maxBytes {
		s.remove(s.fifo.Back())
	}
}

// size reports the entries held and their size.
func (s *boundedStore[V]) size() (entries, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries), s.bytes
}

// expire drops the entries older than ttl, from the oldest. Entries are
// stored in about the order of their calls' clocks; one stored out of
// order leaves a little later, and get checks each entry's age anyway.
func (s *boundedStore[V]) expire(now time.Time) {
	for el := s.fifo.Back(); el != nil && now.Sub(el.Value.(*storeEntry[V]).at) > s.ttl; el = s.fifo.Back() {
		s.remove(el)
	}
}

func (s *boundedStore[V]) remove(el *list.Element) {
	e := s.fifo.Remove(el).(*storeEntry[V])
	delete(s.entries, e.key)
	s.bytes -= e.size
}
