package fhir

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/labelguard/labelguard/facts"
)

// An EHR sends order-select again on each edit and order-sign seconds
// later, with the same prefetch; deriving the facts again is a third of
// answering such a call from the decision cache. The facts depend on the
// evaluation time in two ways. Continuously: input.now, each result's
// ageDays and an initiation order's started (which is now). In steps: the
// patient's age in years (a UTC date), and whether a result or an
// abatement is after now. Derive reads now only through a clock, which
// notes the earliest resource time after now it compared (Derived.Until),
// so Derived.At can give the facts for a later time of the same UTC date
// before Until by redoing only the continuous part, and for another call
// on the same data (order-sign after order-select) by redoing only what
// the call decides: its service, hook, hookInstance and which orders of
// interest order-select selected. TestDerivedAtMatchesDerive holds that
// equal to deriving again.

// clock is the evaluation time as derive reads it.
type clock struct {
	now time.Time
	// until is the earliest resource time after now that was compared
	// with now (zero when none): the facts hold for times before it.
	until time.Time
}

// after reports whether t is after now, noting when that would change.
func (c *clock) after(t time.Time) bool {
	if !t.After(c.now) {
		return false
	}
	if c.until.IsZero() || t.Before(c.until) {
		c.until = t
	}
	return true
}

// Call is what identifies a hook call to Derive, apart from its data:
// the service and hook it calls, its hookInstance, and order-select's
// selections.
type Call struct {
	Service, Hook, HookInstance string
	Selections                  []string
}

// At returns the facts as Derive would derive them from the same request
// data at now for the call c, and true; or false when they could differ in
// more than the call and the continuous times (another UTC date, or not
// before Until). d is not modified: what changes is copied.
func (d *Derived) At(now time.Time, c Call) (*Derived, bool) {
	now = now.UTC()
	if d.now.IsZero() || now.Before(d.now) || !sameUTCDate(now, d.now) || !d.Until.IsZero() && !now.Before(d.Until) {
		return nil, false
	}
	out := *d
	out.now = now
	in := &out.Input
	in.Service, in.Hook, in.HookInstance = c.Service, c.Hook, c.HookInstance
	in.Now = formatTime(now)
	out.selectOrders(c.Hook, c.Selections)
	if d.Input.Labs != nil {
		in.Labs = make(map[string]facts.Lab, len(d.Input.Labs))
		for k, l := range d.Input.Labs {
			l.AgeDays = labAgeDays(now, d.labTimes[k])
			in.Labs[k] = l
		}
	}
	in.DataIssues = slices.Clone(d.Input.DataIssues)
	return &out, true
}

// selectOrders sets the call's orders from the orders of interest: on
// order-select those it selected (marked selected), else all of them, with
// their JSON; an initiation's start is the evaluation time.
func (d *Derived) selectOrders(hook string, selections []string) {
	selectOnly := hook == "order-select"
	d.Input.Orders = nil
	d.OrderResources = make(map[string]json.RawMessage, len(d.interest))
	for _, o := range d.interest {
		if selectOnly && !slices.Contains(selections, o.med.Ref) {
			continue
		}
		m := o.med
		m.Selected = selectOnly
		if o.startedNow {
			m.Started = d.Input.Now
		}
		d.Input.Orders = append(d.Input.Orders, m)
		d.OrderResources[m.Ref] = o.json
	}
}

func sameUTCDate(a, b time.Time) bool {
	ay, am, ad := a.UTC().Date()
	by, bm, bd := b.UTC().Date()
	return ay == by && am == bm && ad == bd
}

// labAgeDays is how many days before now a result was taken, as facts
// carry it.
func labAgeDays(now, when time.Time) float64 { return round(now.Sub(when).Hours() / 24) }
