package policyload

import (
	"maps"
	"slices"
	"strings"

	"github.com/labelguard/labelguard/engine"
)

// Kinds of card changes.
const (
	Appeared         = "appeared"
	Disappeared      = "disappeared"
	IndicatorChanged = "indicator"
)

// Change is one card that differs between a base and a candidate
// evaluation of the same call, identified by rule and order.
type Change struct {
	Kind  string `json:"kind"`
	Rule  string `json:"rule"`
	Order string `json:"order,omitempty"`
	// From and To are the indicators: From is empty for an appeared card,
	// To for a disappeared one.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// Compare lists the cards (one per rule and order, as the engine yields
// them) that appear, disappear or change indicator from base to candidate,
// ordered by rule, order and kind.
func Compare(base, candidate []engine.Finding) []Change {
	key := func(f engine.Finding) string { return f.Rule + "\x00" + f.Order }
	b := map[string]engine.Finding{}
	for _, f := range base {
		b[key(f)] = f
	}
	c := map[string]engine.Finding{}
	for _, f := range candidate {
		c[key(f)] = f
	}
	var out []Change
	for k, f := range b {
		g, ok := c[k]
		switch {
		case !ok:
			out = append(out, Change{Kind: Disappeared, Rule: f.Rule, Order: f.Order, From: f.Indicator})
		case g.Indicator != f.Indicator:
			out = append(out, Change{Kind: IndicatorChanged, Rule: f.Rule, Order: f.Order, From: f.Indicator, To: g.Indicator})
		}
	}
	for k, g := range c {
		if _, ok := b[k]; !ok {
			out = append(out, Change{Kind: Appeared, Rule: g.Rule, Order: g.Order, To: g.Indicator})
		}
	}
	slices.SortFunc(out, func(x, y Change) int {
		if d := strings.Compare(x.Rule, y.Rule); d != 0 {
			return d
		}
		if d := strings.Compare(x.Order, y.Order); d != 0 {
			return d
		}
		return strings.Compare(x.Kind, y.Kind)
	})
	return out
}

// RuleChanges counts the changes of one rule over many calls.
type RuleChanges struct {
	Rule        string `json:"rule"`
	Appeared    int    `json:"appeared"`
	Disappeared int    `json:"disappeared"`
	// Indicator counts indicator changes by "from→to".
	Indicator map[string]int `json:"indicatorChanged,omitempty"`
}

// Summary is a tally of changes over many calls.
type Summary struct {
	Calls        int           `json:"calls"`
	ChangedCalls int           `json:"changedCalls"`
	Appeared     int           `json:"appeared"`
	Disappeared  int           `json:"disappeared"`
	Indicator    int           `json:"indicatorChanged"`
	Rules        []RuleChanges `json:"rules"`
}

// Tally accumulates the changes of many calls. Its zero value is ready;
// it is not safe for concurrent use.
type Tally struct {
	calls, changed int
	rules          map[string]*RuleChanges
}

// Add records one call's changes.
func (t *Tally) Add(changes []Change) {
	t.calls++
	if len(changes) == 0 {
		return
	}
	t.changed++
	if t.rules == nil {
		t.rules = map[string]*RuleChanges{}
	}
	for _, c := range changes {
		r := t.rules[c.Rule]
		if r == nil {
			r = &RuleChanges{Rule: c.Rule}
			t.rules[c.Rule] = r
		}
		switch c.Kind {
		case Appeared:
			r.Appeared++
		case Disappeared:
			r.Disappeared++
		case IndicatorChanged:
			if r.Indicator == nil {
				r.Indicator = map[string]int{}
			}
			r.Indicator[c.From+"→"+c.To]++
		}
	}
}

// Summary returns the tally so far, rules sorted by ID.
func (t *Tally) Summary() Summary {
	s := Summary{Calls: t.calls, ChangedCalls: t.changed, Rules: []RuleChanges{}}
	for _, id := range slices.Sorted(maps.Keys(t.rules)) {
		r := *t.rules[id]
		r.Indicator = maps.Clone(r.Indicator)
		s.Appeared += r.Appeared
		s.Disappeared += r.Disappeared
		for _, n := range r.Indicator {
			s.Indicator += n
		}
		s.Rules = append(s.Rules, r)
	}
	return s
}
