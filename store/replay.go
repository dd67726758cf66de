package store

import (
	"context"
	"fmt"
	"time"
)

// ReplayCache records token IDs in the database so that every replica
// sharing it rejects a replayed CDS client token (auth.ReplayCache). The
// first use of (iss, jti) wins: the insert is atomic on the primary key.
type ReplayCache interface {
	Seen(ctx context.Context, iss, jti string, exp time.Time) (bool, error)
}

// Seen implements ReplayCache: it reports whether (iss, jti) was recorded
// before, recording it otherwise. Expired entries are removed now and then.
func (s *pgStore) Seen(ctx context.Context, iss, jti string, exp time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO jwt_replay (iss, jti, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (iss, jti) DO NOTHING`, iss, jti, exp.UTC())
	if err != nil {
		return false, fmt.Errorf("postgres: replay: %w", err)
	}
	if s.now().Second() == 0 {
		_, _ = s.pool.Exec(ctx, `DELETE FROM jwt_replay WHERE expires_at < $1`, s.now().Add(-time.Hour).UTC())
	}
	return tag.RowsAffected() == 0, nil
}

// Seen implements ReplayCache.
func (s *sqliteStore) Seen(ctx context.Context, iss, jti string, exp time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO jwt_replay (iss, jti, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (iss, jti) DO NOTHING`, iss, jti, exp.UTC().UnixMicro())
	if err != nil {
		return false, fmt.Errorf("sqlite: replay: %w", err)
	}
	if s.now().Second() == 0 {
		_, _ = s.w.ExecContext(ctx, `DELETE FROM jwt_replay WHERE expires_at < ?`, s.now().Add(-time.Hour).UTC().UnixMicro())
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: replay: %w", err)
	}
	return n == 0, nil
}

// Seen implements ReplayCache once the database is open.
func (d *Deferred) Seen(ctx context.Context, iss, jti string, exp time.Time) (bool, error) {
	st, err := d.get(ctx, false)
	if err != nil {
		return false, err
	}
	rc, ok := st.(ReplayCache)
	if !ok {
		return false, fmt.Errorf("store %s keeps no replay cache", st.Backend())
	}
	return rc.Seen(ctx, iss, jti, exp)
}

var (
	_ ReplayCache = (*pgStore)(nil)
	_ ReplayCache = (*sqliteStore)(nil)
	_ ReplayCache = (*Deferred)(nil)
)
