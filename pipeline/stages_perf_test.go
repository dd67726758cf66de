package pipeline_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/fhir"
	"github.com/labelguard/labelguard/internal/record"
	tp "github.com/labelguard/labelguard/internal/testpatient"
	"github.com/labelguard/labelguard/loadgen/corpus"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/policies"
)

// The perf benchmarks measure every stage of one hook call on two bodies,
// with the decode-only floor in the same run:
//
//   - focused: the committed order-sign request
//     api/testdata/requests/upadacitinib-45mg-low-anc.json, compacted (the
//     services' prefetch templates applied to one Synthea patient, ~60-90
//     resources, ~36 KB);
//   - heavy: a whole Synthea patient (Reuben Lind, every resource of the
//     bundle, claims and encounters included) as one collection Bundle
//     under one prefetch key, indented like the Synthea files (~0.7 MB).
//
// Run with `make bench` (docs/performance.md). They never assert times.

var perfNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

type perfBody struct {
	name string
	body []byte
}

var (
	perfOnce   sync.Once
	perfBodies []perfBody
	perfErr    error
	perfPS     *engine.PolicySet
)

func perfSetup(b *testing.B) ([]perfBody, *engine.PolicySet) {
	b.Helper()
	perfOnce.Do(func() {
		focused, err := tp.FocusedBody()
		if err != nil {
			perfErr = err
			return
		}
		p, err := record.Load(tp.SamplePath("Reuben_Lind_1d03714f.json"))
		if err != nil {
			perfErr = err
			return
		}
		p.Add(record.Observation("anc-h", p.ID, "751-8", "Neutrophils [#/volume] in Blood", 0.8, "10*3/uL", "2026-11-16T09:00:00Z"))
		heavy, err := corpus.BuildHeavy(p, "d1577c69-dfbe-44ad-ba6d-0123456789ab",
			[]record.Resource{corpus.Orders[0].Draft("upa-h", p.ID)}, false)
		if err != nil {
			perfErr = err
			return
		}
		perfBodies = []perfBody{{"focused", focused}, {"heavy", heavy.Body}}
		perfPS, perfErr = engine.Load(context.Background(), policies.FS, engine.Options{})
	})
	if perfErr != nil {
		b.Fatal(perfErr)
	}
	return perfBodies, perfPS
}

// floorNs measures the floor (tp.DecodeFloor: read the body, decode it
// with encoding/json into generic values) outside the timed loop, so that a
// stage can report its ratio to the floor from the same process and moment.
func floorNs(tb testing.TB, body []byte) float64 {
	ns, err := tp.FloorNs(body)
	if err != nil {
		tb.Fatal(err)
	}
	return ns
}

func perfDecode(b *testing.B, body []byte) (*cdshooks.Request, *cdshooks.HookContext) {
	req, err := cdshooks.DecodeRequest(bytes.NewReader(body), cdshooks.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	hc, err := cdshooks.DecodeContext(req.Hook, req.Context)
	if err != nil {
		b.Fatal(err)
	}
	return req, hc
}

func perfRun(b *testing.B, stage func(b *testing.B, body []byte, ps *engine.PolicySet)) {
	bodies, ps := perfSetup(b)
	for _, pb := range bodies {
		b.Run(pb.name, func(b *testing.B) {
			b.ReportAllocs()
			stage(b, pb.body, ps)
		})
	}
}

func BenchmarkPerfFloor(b *testing.B) {
	perfRun(b, func(b *testing.B, body []byte, _ *engine.PolicySet) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if err := tp.DecodeFloor(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPerfDecode is request decode: the depth check, the top-level
// object and its members, and the hook context (drafts still raw).
func BenchmarkPerfDecode(b *testing.B) {
	perfRun(b, func(b *testing.B, body []byte, _ *engine.PolicySet) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			perfDecode(b, body)
		}
		b.ReportMetric(floorNs(b, body), "floor-ns")
	})
}

// BenchmarkPerfParseDrafts is the FHIR parse of the draft orders (light
// decode of each, typed google/fhir/go parse when of interest).
func BenchmarkPerfParseDrafts(b *testing.B) {
	perfRun(b, func(b *testing.B, body []byte, _ *engine.PolicySet) {
		_, hc := perfDecode(b, body)
		for b.Loop() {
			if _, err := fhir.ParseDraftOrders(hc.Order.DraftOrders); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPerfDerive is facts derivation from the prefetch and the parsed
// drafts (prefetch decode included: it happens inside Derive).
func BenchmarkPerfDerive(b *testing.B) { benchDerive(b, nil) }

// BenchmarkPerfDeriveCached is Derive when the prefetch was decoded before
// (order-sign after order-select with the same prefetch): every value is a
// cache hit.
func BenchmarkPerfDeriveCached(b *testing.B) {
	benchDerive(b, fhir.NewPrefetchCache(time.Hour, 1<<30))
}

func benchDerive(b *testing.B, cache *fhir.PrefetchCache) {
	perfRun(b, func(b *testing.B, body []byte, ps *engine.PolicySet) {
		req, hc := perfDecode(b, body)
		vs, labs, drugs := ps.Tables()
		tables := fhir.Tables{ValueSets: vs, Labs: labs, Drugs: drugs}
		svc, _ := ps.Service("jak-order-sign")
		drafts, err := fhir.ParseDraftOrders(hc.Order.DraftOrders)
		if err != nil {
			b.Fatal(err)
		}
		keys := pipeline.PrefetchKeys(svc)
		for b.Loop() {
			if _, err := fhir.Derive(tables, fhir.Request{
				Service: svc.ID, Hook: req.Hook, HookInstance: req.HookInstance, Now: perfNow,
				PatientID: hc.Order.PatientID, Drafts: drafts, Prefetch: req.Prefetch, ExpectedKeys: keys,
				Cache: cache,
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func perfDerived(b *testing.B, body []byte, ps *engine.PolicySet) *fhir.Derived {
	req, hc := perfDecode(b, body)
	svc, _ := ps.Service("jak-order-sign")
	out, err := pipeline.Run(context.Background(), ps, svc, req, hc, perfNow)
	if err != nil {
		b.Fatal(err)
	}
	if out.Input == nil || len(out.Cards) == 0 {
		b.Fatalf("%s: expected an order of interest and cards", req.HookInstance)
	}
	return out.Input
}

// BenchmarkPerfInputValue is the conversion of the facts into OPA's value
// form.
func BenchmarkPerfInputValue(b *testing.B) {
	perfRun(b, func(b *testing.B, body []byte, ps *engine.PolicySet) {
		in := &perfDerived(b, body, ps).Input
		for b.Loop() {
			if _, err := engine.InputValue(in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPerfEvaluate is input conversion, policy evaluation, finding
// checks and card building together (engine.PolicySet.Evaluate); the
// engine package's perf benchmarks split policy evaluation and cards.
func BenchmarkPerfEvaluate(b *testing.B) {
	perfRun(b, func(b *testing.B, body []byte, ps *engine.PolicySet) {
		d := perfDerived(b, body, ps)
		for b.Loop() {
			if _, err := ps.Evaluate(context.Background(), engine.Request{Service: "jak-order-sign", Input: &d.Input, Orders: d.OrderResources}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPerfPipeline is decode plus pipeline.Run: everything but HTTP.
func BenchmarkPerfPipeline(b *testing.B) {
	perfRun(b, func(b *testing.B, body []byte, ps *engine.PolicySet) {
		svc, _ := ps.Service("jak-order-sign")
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			req, hc := perfDecode(b, body)
			if _, err := pipeline.Run(context.Background(), ps, svc, req, hc, perfNow); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(floorNs(b, body), "floor-ns")
	})
}

// BenchmarkPerfHandler is the whole HTTP handler through httptest (routing,
// middleware, decode, pipeline, response encoding); x-floor is its time
// over the floor measured in the same process right after.
func BenchmarkPerfHandler(b *testing.B) {
	perfRun(b, func(b *testing.B, body []byte, ps *engine.PolicySet) {
		h := api.New(api.Config{Now: func() time.Time { return perfNow }}, engine.NewActive(ps), slog.New(slog.DiscardHandler)).Handler()
		b.SetBytes(int64(len(body)))
		start := time.Now()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, "/cds-services/jak-order-sign", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
		per := float64(time.Since(start).Nanoseconds()) / float64(b.N)
		floor := floorNs(b, body)
		b.ReportMetric(floor, "floor-ns")
		b.ReportMetric(per/floor, "x-floor")
	})
}
