package api

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"
)

// admission bounds the hook calls worked on at once. Hook calls are
// CPU-bound: past the machine's capacity, accepting more only lengthens
// every call until the EHRs time out, and the service then spends its CPU
// on answers nobody waits for (at twice its capacity, a test server
// answered a third of its capacity, every answer late). With a bound, a
// call waits at most QueueWait for a slot and is otherwise refused at once
// with 503 and Retry-After, so the calls that are admitted stay fast and
// an EHR that gets no answer learns so in a quarter of a second instead of
// at its own timeout.
type admission struct {
	slots chan struct{}
	wait  time.Duration
	shed  atomic.Int64
}

func newAdmission(n int, wait time.Duration) *admission {
	return &admission{slots: make(chan struct{}, n), wait: wait}
}

// errOverloaded is the answer to a call that found no slot in time.
var errOverloaded = newError(http.StatusServiceUnavailable, codeOverloaded,
	"the service is at capacity; retry shortly", nil)

// admit takes a slot, waiting at most a.wait, and returns its release.
func (a *admission) admit(ctx context.Context) (func(), error) {
	release := func() { <-a.slots }
	select {
	case a.slots <- struct{}{}:
		return release, nil
	default:
	}
	if a.wait <= 0 {
		a.shed.Add(1)
		return nil, errOverloaded
	}
	t := time.NewTimer(a.wait)
	defer t.Stop()
	select {
	case a.slots <- struct{}{}:
		return release, nil
	case <-t.C:
		a.shed.Add(1)
		return nil, errOverloaded
	case <-ctx.Done():
		// The client is gone; nobody reads this answer.
		return nil, errOverloaded
	}
}

func (a *admission) inFlight() int { return len(a.slots) }
