package loadgen

import "testing"

// TestStormCallInterleavesSessions: every session takes each of its steps
// once and in order, stormSessions calls after its previous one.
func TestStormCallInterleavesSessions(t *testing.T) {
	const steps = 5
	next := map[uint64]int{}
	last := map[uint64]uint64{}
	for i := range uint64(stormSessions * steps * 3) {
		s, k := stormCall(i, steps)
		if k != next[s] {
			t.Fatalf("call %d: session %d step %d, want step %d", i, s, k, next[s])
		}
		if k > 0 && i-last[s] != stormSessions {
			t.Fatalf("call %d: session %d's step %d comes %d calls after its previous, want %d", i, s, k, i-last[s], stormSessions)
		}
		next[s]++
		last[s] = i
	}
	if len(next) != stormSessions*3 {
		t.Fatalf("%d sessions, want %d", len(next), stormSessions*3)
	}
	for s, n := range next {
		if n != steps {
			t.Errorf("session %d took %d steps, want %d", s, n, steps)
		}
	}
}
