package store

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"
)

// BenchmarkInsertDecisions measures sustained write throughput: one op is
// a batch of 100 decisions of 2 cards each, the audit queue's default
// batch. decisions/s is the figure to compare with the call rate.
func BenchmarkInsertDecisions(b *testing.B) {
	for _, be := range []struct {
		name string
		mk   func(testing.TB) *backend
	}{{"sqlite", sqliteBackend}, {"postgres", postgresBackend}} {
		b.Run(be.name, func(b *testing.B) {
			st := migrated(b, be.mk(b))
			ctx := context.Background()
			const batch = 100
			n := 0
			b.ResetTimer()
			for b.Loop() {
				ds := make([]Decision, batch)
				for i := range ds {
					ds[i] = decision(t0.Add(time.Duration(n)*time.Millisecond), fmt.Sprintf("bench-%d", n), 2)
					n++
				}
				if err := st.InsertDecisions(ctx, ds); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "decisions/s")
		})
	}
}

// nopStore accepts everything and writes nothing, so that BenchmarkEnqueue
// measures the caller's side alone.
type nopStore struct{ Store }

func (nopStore) InsertDecisions(context.Context, []Decision) error { return nil }
func (nopStore) Ping(context.Context) error                        { return nil }

// BenchmarkEnqueue is the cost the audit adds to a hook call: a channel
// send under a read lock, no I/O, no allocation on the caller's side (the
// B/op shown is the writer goroutine's). "parallel" is the hook-call
// pattern. With a store that does nothing the benchmark loop can outrun
// the writer and fill the queue; dropped% says how many ops took the
// (equally cheap) drop path.
func BenchmarkEnqueue(b *testing.B) {
	run := func(b *testing.B) {
		q := NewAuditQueue(nopStore{}, QueueOptions{Capacity: 1 << 16, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		d := decision(t0, "bench", 2)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				q.Enqueue(d)
			}
		})
		b.StopTimer()
		b.ReportMetric(100*float64(q.Dropped())/float64(b.N), "dropped%")
		_ = q.Close(context.Background())
	}
	// accepted measures the accepted path alone: bursts that fit the
	// queue, the timer stopped while the writer drains between them.
	b.Run("accepted", func(b *testing.B) {
		q := NewAuditQueue(nopStore{}, QueueOptions{Capacity: 4096, FlushInterval: time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		d := decision(t0, "bench", 2)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if i%4096 == 0 && i > 0 {
				b.StopTimer()
				for q.Depth() > 0 {
					time.Sleep(100 * time.Microsecond)
				}
				b.StartTimer()
			}
			q.Enqueue(d)
		}
		b.StopTimer()
		if q.Dropped() != 0 {
			b.Errorf("dropped %d", q.Dropped())
		}
		_ = q.Close(context.Background())
	})
	b.Run("parallel", run)
}
