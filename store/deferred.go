package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrNotOpen is returned by a Deferred store whose database could not be
// opened yet.
var ErrNotOpen = errors.New("store: database not open")

// Deferred is a Store that opens its database on first use and, after a
// failure, tries again no more often than every RetryEvery. The service
// starts and answers hooks while the database is down; the audit queue's
// retries then reach the database once it is back.
type Deferred struct {
	cfg        Config
	retryEvery time.Duration

	mu      sync.Mutex
	st      Store
	lastTry time.Time
	lastErr error
}

// NewDeferred returns a store that opens cfg's database lazily.
func NewDeferred(cfg Config, retryEvery time.Duration) *Deferred {
	if retryEvery <= 0 {
		retryEvery = 5 * time.Second
	}
	return &Deferred{cfg: cfg, retryEvery: retryEvery}
}

// Open tries to open the database now (at startup, to report early).
func (d *Deferred) Open(ctx context.Context) error {
	_, err := d.get(ctx, true)
	return err
}

func (d *Deferred) get(ctx context.Context, force bool) (Store, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st != nil {
		return d.st, nil
	}
	if !force && time.Since(d.lastTry) < d.retryEvery {
		return nil, fmt.Errorf("%w: %v", ErrNotOpen, d.lastErr)
	}
	d.lastTry = time.Now()
	st, err := Open(ctx, d.cfg)
	if err != nil {
		d.lastErr = err
		return nil, fmt.Errorf("%w: %v", ErrNotOpen, err)
	}
	d.st, d.lastErr = st, nil
	return st, nil
}

// Migrate implements Store.
func (d *Deferred) Migrate(ctx context.Context) error {
	st, err := d.get(ctx, false)
	if err != nil {
		return err
	}
	return st.Migrate(ctx)
}

// InsertDecisions implements Store.
func (d *Deferred) InsertDecisions(ctx context.Context, ds []Decision) error {
	st, err := d.get(ctx, false)
	if err != nil {
		return err
	}
	return st.InsertDecisions(ctx, ds)
}

// InsertFeedback implements Store.
func (d *Deferred) InsertFeedback(ctx context.Context, fs []Feedback) (int, error) {
	st, err := d.get(ctx, false)
	if err != nil {
		return 0, err
	}
	return st.InsertFeedback(ctx, fs)
}

// Purge implements Store.
func (d *Deferred) Purge(ctx context.Context, olderThan time.Time) (int64, error) {
	st, err := d.get(ctx, false)
	if err != nil {
		return 0, err
	}
	return st.Purge(ctx, olderThan)
}

// Report implements Store.
func (d *Deferred) Report(ctx context.Context, from, to time.Time) ([]RuleReport, error) {
	st, err := d.get(ctx, false)
	if err != nil {
		return nil, err
	}
	return st.Report(ctx, from, to)
}

// Decisions implements Store.
func (d *Deferred) Decisions(ctx context.Context, from, to time.Time) ([]Decision, error) {
	st, err := d.get(ctx, false)
	if err != nil {
		return nil, err
	}
	return st.Decisions(ctx, from, to)
}

// Feedback implements Store.
func (d *Deferred) Feedback(ctx context.Context, from, to time.Time) ([]Feedback, error) {
	st, err := d.get(ctx, false)
	if err != nil {
		return nil, err
	}
	return st.Feedback(ctx, from, to)
}

// Ping implements Store.
func (d *Deferred) Ping(ctx context.Context) error {
	st, err := d.get(ctx, false)
	if err != nil {
		return err
	}
	return st.Ping(ctx)
}

// Backend implements Store.
func (d *Deferred) Backend() string {
	if d.cfg.PostgresDSN != "" {
		return "postgres"
	}
	return "sqlite"
}

// Close implements Store.
func (d *Deferred) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st == nil {
		return nil
	}
	err := d.st.Close()
	d.st = nil
	return err
}

var _ Store = (*Deferred)(nil)
