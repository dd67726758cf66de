package corpus_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/fhir"
	tp "github.com/labelguard/labelguard/internal/testpatient"
	"github.com/labelguard/labelguard/loadgen/corpus"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/policies"
)

// BenchmarkStormSession answers order sessions (corpus.Storm: four
// order-select calls while the order is edited, then order-sign) through
// the pipeline, each iteration a session of a patient of its own, decoding
// each request as the handler does: "cached" with serve's caches, "cold"
// with none. Their ratio is what a session costs against unrelated calls,
// without the HTTP server and the load generator that share the CPU in
// loadgen/storm-ab.sh.
func BenchmarkStormSession(b *testing.B) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	bases, err := corpus.LoadPatients(filepath.Dir(tp.SamplePath("x.json")))
	if err != nil {
		b.Fatal(err)
	}
	sessions, err := corpus.Storm(bases, 2*len(corpus.Orders), now)
	if err != nil {
		b.Fatal(err)
	}
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"cold", "cached"} {
		b.Run(mode, func(b *testing.B) {
			pl := &pipeline.Pipeline{}
			if mode == "cached" {
				pl = &pipeline.Pipeline{Cache: fhir.NewPrefetchCache(2*time.Minute, 64<<20), Decisions: pipeline.NewDecisionCache(2*time.Minute, 8<<20)}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				session := sessions[i%len(sessions)]
				patient := corpus.UUID(uint64(i), 0xbe7c)
				for k, r := range session {
					body := r.WithIDs(corpus.UUID(uint64(i), uint64(k)), patient)
					if _, _, err := answer(pl, ps, r, body, now.Add(time.Duration(k)*time.Second)); err != nil {
						b.Fatal(err)
					}
				}
				i++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(corpus.StormEdits)), "ns/call")
		})
	}
}
