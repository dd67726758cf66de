package store

import (
	"context"
	"log/slog"
	"time"
)

// RunRetention purges audit rows older than maxAge now and then every
// `every` until ctx is done. It returns at once when maxAge is not positive
// (retention disabled). A failed purge is logged and tried again at the
// next tick: the rows are still there, nothing is lost by waiting. Several
// replicas may run it at once; the deletes are idempotent.
func RunRetention(ctx context.Context, st Store, every, maxAge time.Duration, log *slog.Logger) {
	if maxAge <= 0 {
		return
	}
	if every <= 0 {
		every = time.Hour
	}
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		cutoff := time.Now().Add(-maxAge)
		// A purge never outlives its interval: one stuck on a partitioned
		// database is abandoned and tried again at the next tick.
		pctx, cancel := context.WithTimeout(ctx, every)
		n, err := st.Purge(pctx, cutoff)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("audit retention: purge failed", slog.Time("cutoff", cutoff), slog.Any("error", err))
		case n > 0:
			log.Info("audit retention: purged", slog.Int64("rows", n), slog.Time("cutoff", cutoff))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
