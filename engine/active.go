package engine

import "sync/atomic"

// Active holds the policy set in service. A reload stores a new set
// atomically; a request reads the pointer once and evaluates against that
// set to the end, so a swap never yields a half-evaluated request.
type Active struct {
	p atomic.Pointer[PolicySet]
}

// NewActive returns a holder serving ps.
func NewActive(ps *PolicySet) *Active {
	a := &Active{}
	a.p.Store(ps)
	return a
}

// Load returns the policy set in service, or nil before the first one.
func (a *Active) Load() *PolicySet { return a.p.Load() }

// Store puts ps in service.
func (a *Active) Store(ps *PolicySet) { a.p.Store(ps) }
