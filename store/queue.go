package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// QueueOptions tunes an AuditQueue; zero values take the defaults.
type QueueOptions struct {
	// Capacity bounds the decisions waiting to be written (default 10000).
	// It is how long an outage the audit survives without loss: at 50
	// calls per second, 10000 is over three minutes.
	Capacity int
	// BatchSize is the most decisions written per transaction (default 100).
	BatchSize int
	// FlushInterval is the longest a decision waits for its batch to fill
	// (default 500ms).
	FlushInterval time.Duration
	// MinBackoff and MaxBackoff bound the wait between attempts while the
	// database fails (defaults 100ms and 10s).
	MinBackoff, MaxBackoff time.Duration
	// WriteTimeout bounds one write attempt (default 10s), so that a hung
	// connection is retried rather than waited on forever.
	WriteTimeout time.Duration
	// DropLogInterval is the least time between two logs of dropped
	// decisions (default 10s), so that an overflow does not flood the log.
	DropLogInterval time.Duration
	// Logger receives write errors and drop reports (default slog.Default()).
	Logger *slog.Logger
}

func (o QueueOptions) withDefaults() QueueOptions {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Capacity, 10000)
	def(&o.BatchSize, 100)
	defD(&o.FlushInterval, 500*time.Millisecond)
	defD(&o.MinBackoff, 100*time.Millisecond)
	defD(&o.MaxBackoff, 10*time.Second)
	defD(&o.WriteTimeout, 10*time.Second)
	defD(&o.DropLogInterval, 10*time.Second)
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// AuditQueue writes decisions off the hook's hot path. Enqueue only puts
// the record in a bounded channel; one background writer batches records
// (by size and by time) and inserts them, retrying with backoff while the
// database is slow or down. Records that cannot be kept are dropped,
// counted and logged: when the queue is full, when one is invalid, or when
// Close's deadline passes before the database recovers.
type AuditQueue struct {
	st   Store
	opts QueueOptions
	log  *slog.Logger
	ch   chan Decision

	// mu makes Close and Enqueue exclusive: an Enqueue that saw the queue
	// open has finished its send before Close lets the writer drain, so no
	// record lands in the channel after the last read of it.
	mu     sync.RWMutex
	closed bool

	stop  chan struct{}      // closed by Close: drain and exit
	abort context.CancelFunc // called when Close's deadline passes: give up retrying
	ctx   context.Context    // cancelled by abort
	done  chan struct{}      // closed when the writer has exited
	once  sync.Once

	pending     atomic.Int64 // records taken from ch but not yet written or dropped
	dropped     atomic.Uint64
	writeErrors atomic.Uint64
	written     atomic.Uint64
	loggedDrops uint64    // writer-only: dropped count at the last drop log
	lastDropLog time.Time // writer-only
}

// NewAuditQueue starts the writer for st. Stop it with Close.
func NewAuditQueue(st Store, opts QueueOptions) *AuditQueue {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	q := &AuditQueue{
		st: st, opts: opts, log: opts.Logger,
		ch:   make(chan Decision, opts.Capacity),
		stop: make(chan struct{}), done: make(chan struct{}),
		ctx: ctx, abort: cancel,
	}
	go q.run()
	return q
}

// Enqueue hands d to the writer without blocking and reports whether it
// was accepted. When the queue is full or closed, d is dropped and counted
// (Dropped); the writer logs the count, so the caller's path does no I/O.
// The caller must not modify d's slices afterwards.
func (q *AuditQueue) Enqueue(d Decision) bool {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		q.dropped.Add(1)
		return false
	}
	select {
	case q.ch <- d:
		return true
	default:
		q.dropped.Add(1)
		return false
	}
}

// Depth is the number of decisions waiting to be written.
func (q *AuditQueue) Depth() int { return len(q.ch) + int(q.pending.Load()) }

// Capacity is the bound on the channel part of Depth; one batch more may
// be in the writer's hands.
func (q *AuditQueue) Capacity() int { return q.opts.Capacity }

// Dropped counts decisions that were never written: queue full, queue
// closed, invalid, or still unwritten at Close's deadline.
func (q *AuditQueue) Dropped() uint64 { return q.dropped.Load() }

// WriteErrors counts failed write attempts (each retry counts).
func (q *AuditQueue) WriteErrors() uint64 { return q.writeErrors.Load() }

// Written counts decisions written to the store.
func (q *AuditQueue) Written() uint64 { return q.written.Load() }

// Close stops accepting decisions and writes those waiting, retrying until
// ctx is done. If ctx ends first, what is left is dropped, counted and
// logged, and the error says how many. Close is for shutdown (SIGTERM):
// give it most of the termination grace period. Later calls wait for the
// first to finish and return nil.
func (q *AuditQueue) Close(ctx context.Context) error {
	var err error
	q.once.Do(func() {
		q.mu.Lock()
		q.closed = true
		q.mu.Unlock()
		close(q.stop)
		select {
		case <-q.done:
		case <-ctx.Done():
			before := q.Dropped()
			q.abort()
			<-q.done
			err = fmt.Errorf("audit queue: shutdown deadline passed, %d decisions not written: %w",
				q.Dropped()-before, ctx.Err())
		}
		q.abort()
	})
	<-q.done
	return err
}

func (q *AuditQueue) run() {
	defer close(q.done)
	batch := make([]Decision, 0, q.opts.BatchSize)
	tick := time.NewTicker(q.opts.FlushInterval)
	defer tick.Stop()
	take := func(d Decision) {
		if d.ID == "" {
			// Fixed before the first attempt, so that a retry after a commit
			// whose acknowledgement was lost finds the rows and writes
			// nothing twice. Done here rather than in Enqueue to keep the
			// caller's path free of the random source.
			if id, err := uuid.NewV7(); err == nil {
				d.ID = id.String()
			}
		}
		batch = append(batch, d)
		q.pending.Add(1)
	}
	flush := func() {
		if len(batch) > 0 {
			q.write(batch)
			batch = batch[:0]
		}
		q.logDrops(false)
	}
	for {
		select {
		case d := <-q.ch:
			take(d)
			if len(batch) >= q.opts.BatchSize {
				flush()
			}
		case <-tick.C:
			flush()
		case <-q.stop:
			// Enqueue can no longer send: empty the channel in batches.
			for {
				select {
				case d := <-q.ch:
					take(d)
					if len(batch) >= q.opts.BatchSize {
						flush()
					}
					continue
				default:
				}
				break
			}
			flush()
			q.logDrops(true)
			return
		}
	}
}

// write stores batch, retrying with exponential backoff until it is
// written or the queue is aborted.
func (q *AuditQueue) write(batch []Decision) {
	// Invalid records can never be written; drop them before trying.
	valid := batch[:0:0]
	for i := range batch {
		if err := batch[i].Validate(); err != nil {
			q.drop(1, "invalid decision", err)
			continue
		}
		valid = append(valid, batch[i])
	}
	backoff := q.opts.MinBackoff
	for attempt := 1; len(valid) > 0; attempt++ {
		err := q.insert(valid)
		if err == nil {
			q.done1(len(valid))
			return
		}
		q.writeErrors.Add(1)
		if q.ctx.Err() != nil {
			q.drop(len(valid), "shutdown deadline passed while the database was failing", err)
			return
		}
		if attempt == 1 || attempt%10 == 0 {
			q.log.Warn("audit write failed, will retry", slog.Int("decisions", len(valid)),
				slog.Int("attempt", attempt), slog.Duration("backoff", backoff), slog.Any("error", err))
		}
		if len(valid) > 1 && !q.transient(err) {
			if valid = q.isolate(valid); len(valid) == 0 {
				return
			}
		}
		select {
		case <-time.After(backoff):
		case <-q.ctx.Done():
		}
		backoff = min(backoff*2, q.opts.MaxBackoff)
	}
}

// transient reports whether err looks like the database being slow or
// unreachable rather than refusing the data.
func (q *AuditQueue) transient(err error) bool {
	if errors.Is(err, ErrInvalid) {
		return false
	}
	return errors.Is(err, context.DeadlineExceeded) || q.ping() != nil
}

// isolate handles a batch the database refused while answering pings:
// it writes the records one by one. If some succeed, the others are at
// fault and are dropped (logged), so that one bad record cannot block the
// queue. If none succeeds the database is refusing everything (a
// read-only failover, a full disk): the records are returned to be retried.
func (q *AuditQueue) isolate(batch []Decision) []Decision {
	var (
		failed []Decision
		errs   []error
		ok     bool
	)
	for _, d := range batch {
		if q.ctx.Err() != nil {
			failed = append(failed, d)
			continue
		}
		if err := q.insert([]Decision{d}); err != nil {
			q.writeErrors.Add(1)
			failed, errs = append(failed, d), append(errs, err)
			continue
		}
		q.done1(1)
		ok = true
	}
	if !ok || q.ctx.Err() != nil {
		return failed
	}
	var retry []Decision
	for i, d := range failed {
		if q.transient(errs[i]) {
			retry = append(retry, d)
		} else {
			q.drop(1, "decision refused by the database", errs[i])
		}
	}
	return retry
}

func (q *AuditQueue) insert(ds []Decision) error {
	ctx, cancel := context.WithTimeout(q.ctx, q.opts.WriteTimeout)
	defer cancel()
	return q.st.InsertDecisions(ctx, ds)
}

func (q *AuditQueue) ping() error {
	ctx, cancel := context.WithTimeout(q.ctx, min(q.opts.WriteTimeout, 2*time.Second))
	defer cancel()
	return q.st.Ping(ctx)
}

func (q *AuditQueue) done1(n int) {
	q.written.Add(uint64(n))
	q.pending.Add(-int64(n))
}

// drop counts n records of the current batch as lost and logs why at once:
// unlike overflow, these are rare and each deserves a line.
func (q *AuditQueue) drop(n int, why string, err error) {
	q.dropped.Add(uint64(n))
	q.loggedDrops += uint64(n)
	q.pending.Add(-int64(n))
	q.log.Error("audit decisions dropped", slog.Int("decisions", n), slog.String("reason", why), slog.Any("error", err))
}

// logDrops reports overflow drops counted by Enqueue since the last
// report, at most once per DropLogInterval unless final.
func (q *AuditQueue) logDrops(final bool) {
	total := q.dropped.Load()
	if total == q.loggedDrops {
		return
	}
	if !final && time.Since(q.lastDropLog) < q.opts.DropLogInterval {
		return
	}
	q.log.Error("audit queue full or closed, decisions dropped",
		slog.Uint64("decisions", total-q.loggedDrops), slog.Uint64("dropped_total", total),
		slog.Int("capacity", q.opts.Capacity))
	q.loggedDrops = total
	q.lastDropLog = time.Now()
}
