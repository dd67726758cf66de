package auth

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultSharedReplayTimeout bounds one check of the shared replay cache:
// an insert answers in about a millisecond when the database is well, and
// a hook call must not spend more than a small part of the EHR's 500 ms
// to 2 s on it when the database is not.
const DefaultSharedReplayTimeout = 100 * time.Millisecond

// outageLogGap is the least time between two "unavailable" lines, so that
// a database that flaps (a busy SQLite writer, a link that drops now and
// then) does not write two lines per flap.
const outageLogGap = time.Minute

// LayeredReplayCache records every token ID in a shared cache (the
// database, so that replicas reject a token replayed to another one) and in
// a local one. When the shared cache fails or does not answer within
// SharedTimeout, the local one alone decides, so that a database outage
// degrades replay protection to one replica instead of refusing or
// stalling every hook call. Each such fallback is counted (Fallbacks); the
// log says once when an outage starts and once when it ends.
type LayeredReplayCache struct {
	Shared ReplayCache
	Local  ReplayCache
	Logger *slog.Logger
	// SharedTimeout bounds a check of the shared cache; zero means
	// DefaultSharedReplayTimeout.
	SharedTimeout time.Duration

	fallbacks atomic.Uint64
	down      atomic.Bool

	mu         sync.Mutex
	since      time.Time // when the current outage started
	inOutage   uint64    // fallbacks since then
	logged     bool      // whether its start was logged
	lastLogged time.Time
}

// Seen implements ReplayCache: seen by either cache means seen.
func (l *LayeredReplayCache) Seen(ctx context.Context, iss, jti string, exp time.Time) (bool, error) {
	localSeen, err := l.Local.Seen(ctx, iss, jti, exp)
	if err != nil {
		return false, err
	}
	timeout := l.SharedTimeout
	if timeout <= 0 {
		timeout = DefaultSharedReplayTimeout
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	sharedSeen, err := l.Shared.Seen(sctx, iss, jti, exp)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			// The caller is gone; that says nothing about the database.
			return false, ctx.Err()
		}
		l.fallback(err, timeout)
		return localSeen, nil
	}
	if l.down.Load() {
		l.recovered()
	}
	return localSeen || sharedSeen, nil
}

// Fallbacks counts the checks the shared cache could not answer in time.
func (l *LayeredReplayCache) Fallbacks() uint64 { return l.fallbacks.Load() }

func (l *LayeredReplayCache) fallback(err error, timeout time.Duration) {
	l.fallbacks.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inOutage++
	if l.down.Load() {
		return
	}
	now := time.Now()
	l.down.Store(true)
	l.since, l.inOutage, l.logged = now, 1, false
	if l.Logger == nil || (!l.lastLogged.IsZero() && now.Sub(l.lastLogged) < outageLogGap) {
		return
	}
	l.logged, l.lastLogged = true, now
	l.Logger.Warn("shared replay cache unavailable: tokens are checked against this replica's cache only until it answers again",
		slog.String("error", err.Error()), slog.Int64("timeout_ms", timeout.Milliseconds()))
}

func (l *LayeredReplayCache) recovered() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.down.Load() {
		return
	}
	l.down.Store(false)
	if l.logged && l.Logger != nil {
		l.Logger.Info("shared replay cache answers again",
			slog.Uint64("fallbacks", l.inOutage), slog.Int64("outage_ms", time.Since(l.since).Milliseconds()))
	}
}
