package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/fhir"
	"github.com/labelguard/labelguard/internal/record"
	tp "github.com/labelguard/labelguard/internal/testpatient"
	"github.com/labelguard/labelguard/loadgen/corpus"
	"github.com/labelguard/labelguard/policies"
)

// The engine's perf benchmarks split Evaluate into its stages (input
// conversion, policy evaluation with the findings decode, card building)
// on the same two bodies as pipeline's perf benchmarks: the focused
// committed request and a whole Synthea patient in one prefetch key.

type perfCase struct {
	name    string
	derived *fhir.Derived
}

var (
	perfOnce  sync.Once
	perfCases []perfCase
	perfSet   *PolicySet
	perfErr   error
)

func perfSetup(b testing.TB) ([]perfCase, *PolicySet) {
	b.Helper()
	perfOnce.Do(func() { perfCases, perfSet, perfErr = buildPerfCases() })
	if perfErr != nil {
		b.Fatal(perfErr)
	}
	return perfCases, perfSet
}

func buildPerfCases() ([]perfCase, *PolicySet, error) {
	ps, err := Load(context.Background(), policies.FS, Options{})
	if err != nil {
		return nil, nil, err
	}
	focused, err := tp.FocusedBody()
	if err != nil {
		return nil, nil, err
	}
	p, err := record.Load(tp.SamplePath("Reuben_Lind_1d03714f.json"))
	if err != nil {
		return nil, nil, err
	}
	p.Add(record.Observation("anc-h", p.ID, "751-8", "Neutrophils [#/volume] in Blood", 0.8, "10*3/uL", "2026-11-16T09:00:00Z"))
	heavy, err := corpus.BuildHeavy(p, "d1577c69-dfbe-44ad-ba6d-0123456789ab", []record.Resource{corpus.Orders[0].Draft("upa-h", p.ID)}, true)
	if err != nil {
		return nil, nil, err
	}
	svc, _ := ps.Service("jak-order-sign")
	keys := make([]string, 0, len(svc.Prefetch))
	for k := range svc.Prefetch {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	vs, labs, drugs := ps.Tables()
	var out []perfCase
	for _, c := range []struct {
		name string
		body []byte
	}{{"focused", focused}, {"heavy", heavy.Body}} {
		req, err := cdshooks.DecodeRequest(bytes.NewReader(c.body), cdshooks.Limits{})
		if err != nil {
			return nil, nil, err
		}
		hc, err := cdshooks.DecodeContext(req.Hook, req.Context)
		if err != nil {
			return nil, nil, err
		}
		drafts, err := fhir.ParseDraftOrders(hc.Order.DraftOrders)
		if err != nil {
			return nil, nil, err
		}
		d, err := fhir.Derive(fhir.Tables{ValueSets: vs, Labs: labs, Drugs: drugs}, fhir.Request{
			Service: svc.ID, Hook: req.Hook, HookInstance: req.HookInstance,
			Now:       time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC),
			PatientID: hc.Order.PatientID, Drafts: drafts, Prefetch: req.Prefetch, ExpectedKeys: keys,
		})
		if err != nil {
			return nil, nil, err
		}
		out = append(out, perfCase{c.name, d})
	}
	return out, ps, nil
}

func perfEach(b *testing.B, f func(b *testing.B, d *fhir.Derived, ps *PolicySet)) {
	cases, ps := perfSetup(b)
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			f(b, c.derived, ps)
		})
	}
}

// BenchmarkPerfInputJSON is the size of the policy input, for the record:
// it reports the input's JSON bytes and its number of facts.
func BenchmarkPerfInputJSON(b *testing.B) {
	perfEach(b, func(b *testing.B, d *fhir.Derived, _ *PolicySet) {
		var n int
		for b.Loop() {
			data, err := json.Marshal(&d.Input)
			if err != nil {
				b.Fatal(err)
			}
			n = len(data)
		}
		in := &d.Input
		b.ReportMetric(float64(n), "input-bytes")
		b.ReportMetric(float64(len(in.Conditions)+len(in.Medications)+len(in.Orders)+len(in.Immunizations)+len(in.Allergies)+len(in.Labs)), "facts")
	})
}

func BenchmarkPerfStageInputValue(b *testing.B) {
	perfEach(b, func(b *testing.B, d *fhir.Derived, _ *PolicySet) {
		for b.Loop() {
			if _, err := InputValue(&d.Input); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPerfStagePolicy is the prepared query over a converted input,
// with the findings decode into Go.
func BenchmarkPerfStagePolicy(b *testing.B) {
	perfEach(b, func(b *testing.B, d *fhir.Derived, ps *PolicySet) {
		v, err := InputValue(&d.Input)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			fs, err := mustFindings(context.Background(), ps, "order-sign", &d.Input, v)
			if err != nil || len(fs) == 0 {
				b.Fatal(err, len(fs))
			}
		}
	})
}

// BenchmarkPerfStageCards is finding checks and card building.
func BenchmarkPerfStageCards(b *testing.B) {
	perfEach(b, func(b *testing.B, d *fhir.Derived, ps *PolicySet) {
		v, err := InputValue(&d.Input)
		if err != nil {
			b.Fatal(err)
		}
		findings, err := mustFindings(context.Background(), ps, "order-sign", &d.Input, v)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			fs, _ := ps.adjustFindings(slices.Clone(findings))
			cb := cardBuilder{ps: ps, in: &d.Input, orders: d.OrderResources}
			for _, f := range fs {
				if _, err := cb.card(f); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
