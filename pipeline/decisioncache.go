package pipeline

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"slices"
	"sync/atomic"
	"time"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/facts"
)

// DecisionCache remembers, for a short while, what a call's rules yielded
// (engine.RuleResults: the findings and failed checks, before the call's
// hook, the site's settings and the cards are applied), so that a call the
// rules would see exactly as an earlier one is answered without evaluating
// the policies again: the order-select an EHR fires again on a change the
// rules do not read (a note, a pharmacy, the same order selected again), a
// repeated order-sign, and, when the policy set is cross-hook
// (engine.PolicySet.CrossHook: no rule reads which hook or service asks),
// the order-sign that follows an order-select of the same orders.
//
// The key is a SHA-256 of everything the results depend on: the call's
// engine.PolicySet.EvaluationScope (the rule packages it reaches, and on a
// hook-bound policy set its service and hook), the patient, the policy set
// (its Revision, its site parameters' digest, and the set itself: an entry
// is only served to the very PolicySet that made it), the evaluation's UTC
// date, and the input the rules are evaluated on
// (engine.PolicySet.EvaluationInput of the facts.Input the call derived,
// which holds the draft orders and the prefetch as the rules read them),
// without its hookInstance and with the evaluation time masked. So two
// calls share results exactly when the rules would read the same input,
// apart from the time of the call; a different patient, draft order,
// order-select's selection of the drafts, prefetch value the rules read,
// policy revision or site parameter changes the key. What depends on the
// call's hook (which rules' findings become cards on it, omitWhen) and on
// the site (rules switched off or lowered) is applied to the results on
// every call, hit or miss (engine.PolicySet.DecideFrom).
//
// Time. Rules read input.now and the facts derived from it (a result's
// age in days, "started N days ago", due dates). The key leaves out what
// varies continuously with the time (input.now, each result's ageDays, an
// initiation order's start) and keeps what changes in steps (the
// patient's age in years, whether a condition has abated, which results
// are not after now, as each call derived them). A cached decision is
// served only on the UTC date it was made (due dates and card dates are
// UTC dates) and at most ttl after it was made (counted from then, not
// from its last use), so it is the answer the call would have had up to
// ttl earlier: at the edge of a window (a result 90 days old to the
// minute) the card can be that late.
//
// Cards are not cached: each call's cards, their UUIDs (from its own
// hookInstance) and suggestions (from its own draft orders) are built
// afresh by engine.PolicySet.Cards, so feedback and the audit join as
// without the cache. A decision with failed checks is not stored, so that
// a failing rule is evaluated (and logged) on every call. Entries are
// dropped after ttl, or oldest first when the decisions held exceed
// maxBytes of their JSON form. The cache holds findings (references,
// values and text about the patient's resources) in memory only, keyed by
// hashes; nothing of it is logged or exported beyond counts.
type DecisionCache struct {
	decisions *boundedStore[*engine.RuleResults]
	// derived holds what calls derived (derived.go), so that a call on
	// the same request data is not derived again.
	derived *boundedStore[*derivedEntry]

	// set is the digest of the last policy set seen (most calls see the
	// same set: it is computed once per set, not per call).
	set atomic.Pointer[setDigest]

	hits, misses               atomic.Int64
	derivedHits, derivedMisses atomic.Int64
}

type setDigest struct {
	ps     *engine.PolicySet
	digest string
}

// entryOverhead approximates what an entry costs beyond its decision's
// JSON: the key, the list element, the map slot and the structs.
const entryOverhead = 256

// NewDecisionCache returns a cache keeping decisions for ttl, up to
// maxBytes of their JSON form, and as much of the facts calls derived. A
// ttl or maxBytes of zero or less returns nil, which caches nothing.
func NewDecisionCache(ttl time.Duration, maxBytes int) *DecisionCache {
	if ttl <= 0 || maxBytes <= 0 {
		return nil
	}
	return &DecisionCache{decisions: newBoundedStore[*engine.RuleResults](ttl, maxBytes),
		derived: newBoundedStore[*derivedEntry](ttl, maxBytes)}
}

// Stats reports the calls answered from the cache and those that looked in
// it and evaluated, since the start.
func (c *DecisionCache) Stats() (hits, misses int64) {
	if c == nil {
		return 0, 0
	}
	return c.hits.Load(), c.misses.Load()
}

// DerivedStats reports the calls whose facts were those an earlier call
// derived from the same request data, and those derived afresh, since
// the start.
func (c *DecisionCache) DerivedStats() (hits, misses int64) {
	if c == nil {
		return 0, 0
	}
	return c.derivedHits.Load(), c.derivedMisses.Load()
}

// Size reports the decisions held and their size (JSON bytes plus a
// per-entry overhead), the quantity maxBytes bounds.
func (c *DecisionCache) Size() (entries, bytes int) {
	if c == nil {
		return 0, 0
	}
	return c.decisions.size()
}

// DerivedSize reports the derived facts held and their estimated size,
// bounded by maxBytes too.
func (c *DecisionCache) DerivedSize() (entries, bytes int) {
	if c == nil {
		return 0, 0
	}
	return c.derived.size()
}

// get returns the decision stored under key by the policy set ps within
// ttl of now, counting a hit or a miss.
func (c *DecisionCache) get(key [sha256.Size]byte, ps *engine.PolicySet, now time.Time) (*engine.RuleResults, bool) {
	d, ok := c.decisions.get(key, ps, now)
	if !ok {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	return d, true
}

// fresh reports whether a value made at "at" may answer a call at now:
// within ttl either way (concurrent calls finish out of order).
func fresh(at, now time.Time, ttl time.Duration) bool {
	d := now.Sub(at)
	return d <= ttl && -d <= ttl
}

// put stores a decision of ps made at now; the cache keeps it read-only
// from here on.
func (c *DecisionCache) put(key [sha256.Size]byte, ps *engine.PolicySet, d *engine.RuleResults, now time.Time) {
	data, err := json.Marshal(d)
	if err != nil {
		return // not cached; the call is answered all the same
	}
	c.decisions.put(key, ps, d, len(data), now)
}

// setKey is what identifies the policy set in a key: its revision and the
// digest of its site parameters, computed once per set.
func (c *DecisionCache) setKey(ps *engine.PolicySet) (string, error) {
	if s := c.set.Load(); s != nil && s.ps == ps {
		return s.digest, nil
	}
	params, err := ps.ParamsDigest()
	if err != nil {
		return "", err
	}
	s := &setDigest{ps: ps, digest: ps.Revision + "\x00" + params}
	c.set.Store(s)
	return s.digest, nil
}

// decisionKey is the key of a call's decision (see DecisionCache), and
// the size of the input's JSON it hashed.
func (c *DecisionCache) decisionKey(ps *engine.PolicySet, svc engine.Service, patientID string, in *facts.Input, now time.Time) ([sha256.Size]byte, int, error) {
	var key [sha256.Size]byte
	set, err := c.setKey(ps)
	if err != nil {
		return key, 0, err
	}
	h := sha256.New()
	for _, s := range []string{"labelguard decision v2", set, ps.EvaluationScope(svc, in), patientID, now.UTC().Format(time.DateOnly)} {
		writeField(h, s)
	}
	w := &countingWriter{w: h}
	if err := json.NewEncoder(w).Encode(timeless(ps.EvaluationInput(svc.Hook, in))); err != nil {
		return key, 0, fmt.Errorf("pipeline: decision key: %w", err)
	}
	h.Sum(key[:0])
	return key, w.n, nil
}

// countingWriter counts what is written through it.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

// writeField writes s length-prefixed, so that no two field lists hash
// the same by moving a boundary.
func writeField(h hash.Hash, s string) {
	writeUvarint(h, uint64(len(s)))
	h.Write([]byte(s))
}

// nowMark stands for the evaluation time in a key's input.
const nowMark = "now"

// timeless is the input as the key sees it: without the call's
// hookInstance (cards take it from the call), and without what varies
// continuously with the evaluation time: input.now, an initiation order's
// start (which is now) and each result's ageDays (now minus its time,
// which stays in the key). What the facts layer derives from the time in
// steps (the patient's age in years, whether a condition has abated,
// which results are not after now) stays in the key as each call derived
// it. The orders and labs are copied when changed; everything else is
// shared, not modified.
func timeless(in *facts.Input) *facts.Input {
	out := *in
	out.HookInstance = ""
	out.Now = nowMark
	copied := false
	for i, o := range in.Orders {
		if o.Started != "" && o.Started == in.Now {
			if !copied {
				out.Orders, copied = slices.Clone(in.Orders), true
			}
			out.Orders[i].Started = nowMark
		}
	}
	if in.Labs != nil {
		out.Labs = make(map[string]facts.Lab, len(in.Labs))
		for k, l := range in.Labs {
			l.AgeDays = 0
			out.Labs[k] = l
		}
	}
	return &out
}
