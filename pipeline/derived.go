package pipeline

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"hash"
	"slices"
	"time"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/fhir"
)

// Answering a call from the decision cache still derived its facts, a
// third of the call's time, to key the decision on them. A session's
// calls send the same prefetch and often the same draft orders, so the
// cache also keeps what each call derived, keyed by the request data
// fhir.Derive read (derivedKey), with the decision key computed from it. A
// later call with the same request data, of either order hook, takes the
// facts as fhir.Derived.At gives them for its own call and time (the same
// UTC date, before any result or abatement that was still to come:
// otherwise it derives afresh), and the decision key with them when it is
// the same call but for its hookInstance. Entries share the decision
// cache's TTL and size bound, counted separately (DerivedStats,
// DerivedSize).

// derivedEntry is what a call derived and the key of its decision, which
// holds for calls like it (keyFor: its service, hook and selections).
type derivedEntry struct {
	d           *fhir.Derived
	decisionKey [sha256.Size]byte
	keyFor      string
}

// callKey is what a decision key depends on of the call itself, besides
// its facts: its service, hook and order-select's selections, each
// length-prefixed (ids are the EHR's and may hold any byte).
func callKey(c fhir.Call) string {
	var b []byte
	for _, s := range append([]string{c.Service, c.Hook}, c.Selections...) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return string(b)
}

// derivedMemo is a call's place in the derived cache: its key, and the
// entry it found (nil when it derived the facts itself).
type derivedMemo struct {
	key   [sha256.Size]byte
	call  fhir.Call
	found *derivedEntry
}

// derivedKey is the key of what a call derives: everything fhir.Derive
// reads but what fhir.Derived.At redoes (the time, the service, hook,
// hookInstance and selections), that is the patient, the prefetch keys the
// service expects, the draft orders as sent, the prefetch as filled, and
// what filling it reported; the evaluation's UTC date too (the patient's
// age). The policy set's tables are the set's, which the store checks.
func derivedKey(freq *fhir.Request, draftOrders json.RawMessage, fetchIssues []facts.DataIssue) ([sha256.Size]byte, error) {
	var key [sha256.Size]byte
	h := sha256.New()
	for _, s := range []string{"labelguard derived v2", freq.PatientID, freq.Now.UTC().Format(time.DateOnly)} {
		writeField(h, s)
	}
	writeStrings(h, freq.ExpectedKeys)
	writeBytes(h, draftOrders)
	keys := make([]string, 0, len(freq.Prefetch))
	for k := range freq.Prefetch {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	writeStrings(h, keys)
	for _, k := range keys {
		writeBytes(h, freq.Prefetch[k])
	}
	if err := json.NewEncoder(h).Encode(fetchIssues); err != nil {
		return key, err
	}
	h.Sum(key[:0])
	return key, nil
}

// lookupDerived returns the facts an earlier call derived from the same
// request data, as at now for the call, counting a hit or a miss.
func (c *DecisionCache) lookupDerived(key [sha256.Size]byte, ps *engine.PolicySet, now time.Time, call fhir.Call) (*fhir.Derived, *derivedEntry) {
	if e, ok := c.derived.get(key, ps, now); ok {
		if d, ok := e.d.At(now, call); ok {
			c.derivedHits.Add(1)
			return d, e
		}
	}
	c.derivedMisses.Add(1)
	return nil, nil
}

// derivedHeapFactor is about how much heap derived facts take per byte of
// their JSON (measured: 13 KB for 7.7 KB over 200 of the storm's Synthea
// patients), so that the budget bounds the heap the entries hold.
const derivedHeapFactor = 2

// putDerived keeps what a call derived, with its decision key; jsonSize
// is the size of the facts as keyed (the decision key's JSON).
func (c *DecisionCache) putDerived(key [sha256.Size]byte, ps *engine.PolicySet, d *fhir.Derived, call fhir.Call, decisionKey [sha256.Size]byte, jsonSize int, now time.Time) {
	size := jsonSize * derivedHeapFactor
	for _, o := range d.OrderResources {
		size += len(o)
	}
	c.derived.put(key, ps, &derivedEntry{d: d, decisionKey: decisionKey, keyFor: callKey(call)}, size, now)
}

// writeStrings writes a list length-prefixed, each element too.
func writeStrings(h hash.Hash, ss []string) {
	writeUvarint(h, uint64(len(ss)))
	for _, s := range ss {
		writeField(h, s)
	}
}

// writeBytes writes b length-prefixed, without copying it.
func writeBytes(h hash.Hash, b []byte) {
	writeUvarint(h, uint64(len(b)))
	h.Write(b)
}

func writeUvarint(h hash.Hash, n uint64) {
	var buf [binary.MaxVarintLen64]byte
	h.Write(buf[:binary.PutUvarint(buf[:], n)])
}
