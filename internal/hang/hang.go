// Package hang bounds the waits of tests that check that something does
// not hang: a call that must return on its own deadline, an event that
// must happen. The bound (Guard) is far above anything the code under test
// waits for, so a busy machine cannot fail a test; such tests assert that
// and in which order things happen, never how fast.
package hang

import (
	"testing"
	"time"
)

// Guard is how long a test waits before it calls something hung.
const Guard = time.Minute

// Within runs f and returns its result, failing t if f has not returned
// after Guard.
func Within[T any](t testing.TB, what string, f func() T) T {
	t.Helper()
	c := make(chan T, 1)
	go func() { c <- f() }()
	return Receive(t, what, c)
}

// Receive returns what c delivers, failing t if nothing comes within
// Guard.
func Receive[T any](t testing.TB, what string, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(Guard):
		t.Fatalf("%s: nothing after %s (hung)", what, Guard)
		panic("unreachable")
	}
}
