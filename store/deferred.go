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
// failure, tries again no more often than RetryEvery. The service starts
// and answers hooks while the database is down; the audit queue's retries
// then reach the database once it is back.
//
// An attempt to open runs in the background with its own deadline
// (OpenTimeout), and a caller waits for it only as long as its own
// context allows: a replay check with 100 ms to spend must not wait on a
// connection attempt to a partitioned database that the audit writer
// started with ten seconds.
type Deferred struct {
	cfg        Config
	retryEvery time.Duration
	// OpenTimeout bounds one attempt to open and migrate (default
	// DefaultOpenTimeout); set it before first use.
	OpenTimeout time.Duration

	mu      sync.Mutex
	st      Store
	lastTry time.Time
	lastErr error
	opening chan struct{} // closed when the attempt in progress ends
	closed  bool
}

// DefaultOpenTimeout bounds one attempt to open the database: connecting
// (PostgreSQL's own connect timeout applies within it) and migrating,
// which waits for another replica's migration to finish.
const DefaultOpenTimeout = time.Minute

// NewDeferred returns a store that opens cfg's database lazily.
func NewDeferred(cfg Config, retryEvery time.Duration) *Deferred {
	if retryEvery <= 0 {
		retryEvery = 5 * time.Second
	}
	return &Deferred{cfg: cfg, retryEvery: retryEvery, OpenTimeout: DefaultOpenTimeout}
}

// Open tries to open the database now (at startup, to report early),
// waiting for the attempt as long as ctx allows.
func (d *Deferred) Open(ctx context.Context) error {
	_, err := d.get(ctx, true)
	return err
}

func (d *Deferred) get(ctx context.Context, force bool) (Store, error) {
	d.mu.Lock()
	if d.st != nil {
		st := d.st
		d.mu.Unlock()
		return st, nil
	}
	wait := d.opening
	if wait == nil {
		if d.closed {
			d.mu.Unlock()
			return nil, fmt.Errorf("%w: closed", ErrNotOpen)
		}
		if !force && time.Since(d.lastTry) < d.retryEvery {
			err := d.lastErr
			d.mu.Unlock()
			return nil, fmt.Errorf("%w: %v", ErrNotOpen, err)
		}
		d.lastTry = time.Now()
		wait = make(chan struct{})
		d.opening = wait
		go d.open(wait)
	}
	d.mu.Unlock()
	select {
	case <-wait:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: still opening: %w", ErrNotOpen, ctx.Err())
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st != nil {
		return d.st, nil
	}
	return nil, fmt.Errorf("%w: %v", ErrNotOpen, d.lastErr)
}

// open makes one attempt and publishes its outcome.
func (d *Deferred) open(done chan struct{}) {
	defer close(done)
	timeout := d.OpenTimeout
	if timeout <= 0 {
		timeout = DefaultOpenTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, err := Open(ctx, d.cfg)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.opening = nil
	switch {
	case err != nil:
		d.lastErr = err
	case d.closed:
		_ = st.Close()
		d.lastErr = errors.New("closed")
	default:
		d.st, d.lastErr = st, nil
	}
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

// Close implements Store. An attempt to open still in progress closes
// what it opens.
func (d *Deferred) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	if d.st == nil {
		return nil
	}
	err := d.st.Close()
	d.st = nil
	return err
}

var _ Store = (*Deferred)(nil)
