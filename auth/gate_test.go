package auth

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// countingGate records the turns taken and whether one is in progress.
type countingGate struct {
	acquired, released atomic.Int32
	inTurn             atomic.Bool
	refuse             error // set before use, never while a Verify runs
}

func (g *countingGate) gate(context.Context) (func(), error) {
	if g.refuse != nil {
		return nil, g.refuse
	}
	g.acquired.Add(1)
	g.inTurn.Store(true)
	return func() { g.inTurn.Store(false); g.released.Add(1) }, nil
}

// turnCheckingReplay fails the test when the replay check runs outside a
// gate's turn: with SQLite it contends for the single write connection.
type turnCheckingReplay struct {
	t    *testing.T
	g    *countingGate
	next ReplayCache
}

func (r turnCheckingReplay) Seen(ctx context.Context, iss, jti string, exp time.Time) (bool, error) {
	if !r.g.inTurn.Load() {
		r.t.Error("replay check outside the gate's turn")
	}
	return r.next.Seen(ctx, iss, jti, exp)
}

// TestVerifyGate: Verify takes one turn of the context's gate for each
// token whose key it finds, and holds it through the signature and replay
// checks; a refused turn is returned as the gate's error, before the jti
// is recorded, so the same token is accepted once there is room.
func TestVerifyGate(t *testing.T) {
	busy := errors.New("busy")
	k := getKeys(t)
	for _, tc := range []struct {
		name          string
		mod           func(*tok)
		refuse        error
		want          error
		turns         int32
		retryAccepted bool
	}{
		{name: "valid", turns: 1},
		{name: "bad signature", want: ErrSignature, turns: 1, mod: func(tk *tok) { tk.key = k.other256 }},
		{name: "unknown key: no turn", want: ErrUnknownKey, turns: 0, mod: func(tk *tok) { tk.header["kid"] = "nope" }},
		{name: "refused", refuse: busy, want: busy, turns: 0, retryAccepted: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock(t0)
			g := &countingGate{refuse: tc.refuse}
			v := newTestVerifier(t, c, func(cfg *Config) {
				cfg.Replay = turnCheckingReplay{t: t, g: g, next: NewMemoryReplayCache(0, c.now)}
			})
			tk := baseTok(t, t0)
			if tc.mod != nil {
				tc.mod(&tk)
			}
			raw := "Bearer " + tk.sign(t)
			_, err := v.Verify(WithGate(context.Background(), g.gate), raw, testPath)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if a, r := g.acquired.Load(), g.released.Load(); a != tc.turns || r != tc.turns {
				t.Errorf("turns taken %d, ended %d; want %d", a, r, tc.turns)
			}
			if tc.retryAccepted {
				g.refuse = nil
				if _, err := v.Verify(WithGate(context.Background(), g.gate), raw, testPath); err != nil {
					t.Errorf("the refused token, sent again once there is room: %v", err)
				}
			}
		})
	}
	if _, err := AcquireGate(context.Background()); err != nil {
		t.Errorf("AcquireGate without a gate: %v", err)
	}
}
