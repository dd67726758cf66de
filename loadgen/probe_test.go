package loadgen

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// TestProbeMeasuresHealthz: the probe GETs /healthz at its rate for the
// attack's length, counts a plain 200 as a success (a hook call's 200
// must hold cards; /healthz's need not), and is printed apart from the
// hook calls.
func TestProbeMeasuresHealthz(t *testing.T) {
	var gets atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/healthz" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		gets.Add(1)
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()

	cfg := Config{URL: srv.URL + "/", ProbeRate: 20, Duration: 500 * time.Millisecond, Timeout: 5 * time.Second}
	s := startProbe(context.Background(), cfg)()
	if s == nil {
		t.Fatal("no probe results with --probe-rate set")
	}
	if s.Requests < 5 || s.Errors != 0 {
		t.Fatalf("probe: %d requests, %d errors (%v, %v); want about 10 and none", s.Requests, s.Errors, s.Codes, s.ErrorText)
	}
	if uint64(gets.Load()) != s.Requests {
		t.Errorf("server saw %d GETs, probe counted %d", gets.Load(), s.Requests)
	}
	var out bytes.Buffer
	printProbe(&out, s)
	if !strings.HasPrefix(out.String(), "probe /healthz") {
		t.Errorf("probe row: %q", out.String())
	}

	cfg.ProbeRate = 0
	if s := startProbe(context.Background(), cfg)(); s != nil {
		t.Errorf("--probe-rate 0 still probed: %+v", s)
	}
	out.Reset()
	printProbe(&out, nil)
	if out.Len() != 0 {
		t.Errorf("no probe printed %q", out.String())
	}
}

// TestHookCallWithoutCardsIsAnError: the body check that the probe's
// exemption must not weaken: a hook call answered 200 without cards is
// still an error.
func TestHookCallWithoutCardsIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()
	cfg := Config{Rate: 20, Duration: 300 * time.Millisecond, Timeout: 5 * time.Second}
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodPost, URL: srv.URL + "/cds-services/jak-order-sign"})
	stats := attack(context.Background(), cfg, "hook", tr)
	if len(stats) != 1 || stats[0].Errors == 0 || stats[0].Errors != stats[0].Requests {
		t.Fatalf("a 200 without cards counted as success: %+v", stats)
	}
}
