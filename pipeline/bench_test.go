package pipeline_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/engine"
	tp "github.com/labelguard/labelguard/internal/testpatient"
	"github.com/labelguard/labelguard/phi"
	"github.com/labelguard/labelguard/policies"
	"github.com/labelguard/labelguard/store"
)

// The stage benchmarks, on the focused and the heavy request with their
// decode-only floor, are in stages_perf_test.go; this file measures what the
// decision audit adds to a hook call, on the focused order-sign request.
var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func focused(b *testing.B) []byte {
	b.Helper()
	body, err := tp.FocusedBody()
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func load(b *testing.B) *engine.PolicySet {
	b.Helper()
	ps, err := engine.Load(context.Background(), policies.FS, engine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return ps
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
