package api

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestAdmission(t *testing.T) {
	a := newAdmission(2, time.Hour)
	r1, err1 := a.admit(context.Background())
	r2, err2 := a.admit(context.Background())
	if err1 != nil || err2 != nil || a.inFlight() != 2 {
		t.Fatalf("two slots: %v %v, in flight %d", err1, err2, a.inFlight())
	}
	// A waiting call whose client leaves gets no slot and is not counted
	// as shed (nobody was refused).
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := a.admit(ctx); done <- err }()
	cancel()
	if err := <-done; !errors.Is(err, errOverloaded) || a.shed.Load() != 0 {
		t.Errorf("cancelled wait: %v, shed %d", err, a.shed.Load())
	}
	// A waiting call gets the slot another releases.
	go func() { time.Sleep(10 * time.Millisecond); r1() }()
	r3, err := a.admit(context.Background())
	if err != nil {
		t.Fatalf("wait for a released slot: %v", err)
	}
	r2()
	r3()
	if a.inFlight() != 0 {
		t.Errorf("in flight after every release: %d", a.inFlight())
	}

	// Without waiting, a full admission refuses at once and counts it.
	now := newAdmission(1, -1)
	r, _ := now.admit(context.Background())
	if _, err := now.admit(context.Background()); !errors.Is(err, errOverloaded) || now.shed.Load() != 1 {
		t.Errorf("no wait: %v, shed %d", err, now.shed.Load())
	}
	r()
}
