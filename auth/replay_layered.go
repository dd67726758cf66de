package auth

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// LayeredReplayCache records every token ID in a shared cache (the
// database, so that replicas reject a token replayed to another one) and in
// a local one. When the shared cache fails, the local one alone decides, so
// that a database outage degrades replay protection to one replica instead
// of refusing every hook call; each such fallback is logged.
type LayeredReplayCache struct {
	Shared ReplayCache
	Local  ReplayCache
	Logger *slog.Logger

	fallbacks atomic.Uint64
}

// Seen implements ReplayCache: seen by either cache means seen.
func (l *LayeredReplayCache) Seen(ctx context.Context, iss, jti string, exp time.Time) (bool, error) {
	localSeen, err := l.Local.Seen(ctx, iss, jti, exp)
	if err != nil {
		return false, err
	}
	sharedSeen, err := l.Shared.Seen(ctx, iss, jti, exp)
	if err != nil {
		l.fallbacks.Add(1)
		if l.Logger != nil {
			l.Logger.Warn("shared replay cache unavailable; this token was checked against this replica only",
				slog.String("iss", iss), slog.String("error", err.Error()))
		}
		return localSeen, nil
	}
	return localSeen || sharedSeen, nil
}

// Fallbacks counts the checks the shared cache could not answer.
func (l *LayeredReplayCache) Fallbacks() uint64 { return l.fallbacks.Load() }
