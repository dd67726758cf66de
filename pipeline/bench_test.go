package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/fhir"
	"github.com/labelguard/labelguard/phi"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/store"
)

// The benchmarks measure each stage of one hook call on the focused
// order-sign request (a Synthea patient's conditions, active medications,
// lab-table observations, immunizations and allergies, plus an upadacitinib
// order), so that `go test -bench . ./pipeline` shows where the time goes.
var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func focused(b *testing.B) []byte {
	b.Helper()
	body, err := os.ReadFile(filepath.Join("..", "api", "testdata", "requests", "upadacitinib-45mg-low-anc.json"))
	if err != nil {
		b.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		b.Fatal(err)
	}
	return compact.Bytes()
}

func load(b *testing.B) *engine.PolicySet {
	b.Helper()
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return ps
}

func decode(b *testing.B, body []byte) (*cdshooks.Request, *cdshooks.HookContext) {
	b.Helper()
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

// BenchmarkFloorJSONDecode is the floor: reading the body into Go values
// with encoding/json and nothing else.
func BenchmarkFloorJSONDecode(b *testing.B) {
	body := focused(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStageDecodeRequest(b *testing.B) {
	body := focused(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		decode(b, body)
	}
}

func BenchmarkStageParseDraftOrders(b *testing.B) {
	_, hc := decode(b, focused(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fhir.ParseDraftOrders(hc.Order.DraftOrders); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStageDerive(b *testing.B) {
	ps := load(b)
	req, hc := decode(b, focused(b))
	vs, labs, drugs := ps.Tables()
	tables := fhir.Tables{ValueSets: vs, Labs: labs, Drugs: drugs}
	svc, _ := ps.Service("jak-order-sign")
	drafts, err := fhir.ParseDraftOrders(hc.Order.DraftOrders)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fhir.Derive(tables, fhir.Request{
			Service: svc.ID, Hook: req.Hook, HookInstance: req.HookInstance, Now: now,
			PatientID: hc.Order.PatientID, Drafts: drafts, Prefetch: req.Prefetch,
			ExpectedKeys: pipeline.PrefetchKeys(svc),
		}); err != nil {
			b.Fatal(err)
		}
	}
}

func derived(b *testing.B, ps *engine.PolicySet) *pipeline.Outcome {
	b.Helper()
	req, hc := decode(b, focused(b))
	svc, _ := ps.Service("jak-order-sign")
	out, err := pipeline.Run(context.Background(), ps, svc, req, hc, now)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

func BenchmarkStageInputValue(b *testing.B) {
	ps := load(b)
	in := &derived(b, ps).Input.Input
	b.ReportAllocs()
	for b.Loop() {
		if _, err := engine.InputValue(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStageEvaluate covers input conversion, policy evaluation and
// card building together, as Evaluate does them.
func BenchmarkStageEvaluate(b *testing.B) {
	ps := load(b)
	d := derived(b, ps).Input
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ps.Evaluate(context.Background(), engine.Request{Service: "jak-order-sign", Input: &d.Input, Orders: d.OrderResources}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPipelineRun(b *testing.B) {
	ps := load(b)
	body := focused(b)
	svc, _ := ps.Service("jak-order-sign")
	b.ReportAllocs()
	for b.Loop() {
		req, hc := decode(b, body)
		if _, err := pipeline.Run(context.Background(), ps, svc, req, hc, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandler is the whole HTTP handler through httptest, including
// routing, middleware and response encoding.
func BenchmarkHandler(b *testing.B) {
	ps := load(b)
	h := api.New(api.Config{Now: func() time.Time { return now }}, engine.NewActive(ps), slog.New(slog.DiscardHandler)).Handler()
	body := focused(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/cds-services/jak-order-sign", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		_, _ = io.Copy(io.Discard, rec.Body)
	}
}

// BenchmarkHandlerAudit is BenchmarkHandler with the decision audit on
// (SQLite, the default): the record goes to a bounded queue, so the hook's
// latency should not move.
func BenchmarkHandlerAudit(b *testing.B) {
	for _, audit := range []bool{false, true} {
		b.Run(map[bool]string{false: "off", true: "on"}[audit], func(b *testing.B) {
			ps := load(b)
			cfg := api.Config{Now: func() time.Time { return now }}
			if audit {
				st, err := store.Open(context.Background(), store.Config{DataDir: b.TempDir()})
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				q := store.NewAuditQueue(st, store.QueueOptions{})
				defer q.Close(context.Background())
				h, _ := phi.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
				cfg.Audit, cfg.Hasher = q, h
			}
			h := api.New(cfg, engine.NewActive(ps), slog.New(slog.DiscardHandler)).Handler()
			body := focused(b)
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/cds-services/jak-order-sign", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
