package pipeline_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/fhir"
	"github.com/labelguard/labelguard/pipeline"
)

// BenchmarkPerfCache is the whole HTTP handler (as PerfHandler) on the
// same order-sign sent again, with the caches serve has:
//
//   - none: no cache, every call decoded and evaluated (PerfHandler);
//   - prefetch: the prefetch cache only, every value a hit (an order-sign
//     after its order-select);
//   - decision-miss: both caches, the prefetch a hit and the decision a
//     miss (its TTL 1 ns: the key, the lookup and the store, then a full
//     evaluation), as for an order-select after an edit the rules read;
//   - decision-hit: both caches, the decision a hit: the cards are built
//     from the cached decision.
//
// Sub-benchmarks run in turn in each -count round, so the four are
// interleaved. x-floor is the time over the body's decode-only floor.
func BenchmarkPerfCache(b *testing.B) {
	perfRun(b, func(b *testing.B, body []byte, ps *engine.PolicySet) {
		for _, v := range []struct {
			name      string
			prefetch  bool
			decisions time.Duration // TTL; 0: no decision cache
		}{{"none", false, 0}, {"prefetch", true, 0}, {"decision-miss", true, time.Nanosecond}, {"decision-hit", true, time.Hour}} {
			b.Run(v.name, func(b *testing.B) {
				b.ReportAllocs()
				var tick atomic.Int64
				cfg := api.Config{Now: func() time.Time {
					// A millisecond later each call: the decision expired
					// at a 1 ns TTL, within the hour's TTL and the same
					// UTC day for 3.6 million calls (a second per call
					// expired the hit case's decision after 3,600 calls).
					return perfNow.Add(time.Duration(tick.Add(1)) * time.Millisecond)
				}}
				if v.prefetch {
					cfg.PrefetchCache = fhir.NewPrefetchCache(time.Hour, 1<<30)
				}
				if v.decisions > 0 {
					cfg.DecisionCache = pipeline.NewDecisionCache(v.decisions, 1<<30)
				}
				h := api.New(cfg, engine.NewActive(ps), slog.New(slog.DiscardHandler)).Handler()
				call := func() {
					req := httptest.NewRequest(http.MethodPost, "/cds-services/jak-order-sign", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
				}
				call() // fill the caches
				start := time.Now()
				for b.Loop() {
					call()
				}
				per := float64(time.Since(start).Nanoseconds()) / float64(b.N)
				b.ReportMetric(per/floorNs(b, body), "x-floor")
				hits, misses := cfg.DecisionCache.Stats()
				if v.decisions == time.Hour && misses != 1 || v.decisions == time.Nanosecond && hits != 0 {
					b.Fatalf("%d decision hits, %d misses: not the case measured", hits, misses)
				}
			})
		}
	})
}
