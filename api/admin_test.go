package api_test

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/labelguard/labelguard/api"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/metrics"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/policyload"
)

// fixedStatus is a PolicyStatus that reports a fixed revision.
type fixedStatus struct{}

func (fixedStatus) Status() policyload.Status { return policyload.Status{Revision: "rev-1"} }
func (fixedStatus) ShadowOutcome(string, *pipeline.Outcome) bool {
	return false
}

// TestAdminEndpoints: without SeparateAdmin every endpoint is on the API
// handler, as before --admin-addr existed; with it, /metrics and /status
// leave the API handler for AdminHandler, and /healthz and /readyz answer
// on both.
func TestAdminEndpoints(t *testing.T) {
	t.Parallel()
	newSrv := func(separate bool) *api.Server {
		cfg := api.Config{
			AuthDisabled: true, Metrics: metrics.New(), Policies: fixedStatus{},
			EvalTimeout: time.Minute, SeparateAdmin: separate,
		}
		return api.New(cfg, engine.NewActive(defaultPolicies(t)), slog.New(slog.DiscardHandler))
	}
	together := newSrv(false).Handler()
	split := newSrv(true)
	apiPort, adminPort := split.Handler(), split.AdminHandler()
	cases := []struct {
		path                       string
		together, apiPort, adminPt int
	}{
		{"/healthz", 200, 200, 200},
		{"/readyz", 200, 200, 200},
		{"/metrics", 200, 404, 200},
		{"/status", 200, 404, 200},
		{"/cds-services", 200, 200, 404},
	}
	for _, c := range cases {
		for _, h := range []struct {
			name string
			h    http.Handler
			want int
		}{{"single port", together, c.together}, {"API port", apiPort, c.apiPort}, {"admin port", adminPort, c.adminPt}} {
			if rec := do(t, h.h, http.MethodGet, c.path, "", nil); rec.Code != h.want {
				t.Errorf("%s %s: %d, want %d", h.name, c.path, rec.Code, h.want)
			}
		}
	}
	if rec := do(t, adminPort, http.MethodPost, "/cds-services/jak-order-sign", "application/json", []byte(`{}`)); rec.Code != http.StatusNotFound {
		t.Errorf("a hook call on the admin port: %d, want 404", rec.Code)
	}
}

// TestHookRouteLabel: hook calls are counted under metrics.HookRoute, the
// route of the series PrimeService creates at zero, so that the primed
// series and the live ones are the same series.
func TestHookRouteLabel(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	h, _ := newServer(t, func(c *api.Config) { c.Metrics = m })
	body := requestFile(t, goldenCases[0])
	if rec := do(t, h, http.MethodPost, "/cds-services/jak-order-sign", "application/json", body); rec.Code != http.StatusOK {
		t.Fatalf("hook call: %d %s", rec.Code, rec.Body)
	}
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got float64
	for _, mf := range mfs {
		if mf.GetName() != "labelguard_http_requests_total" {
			continue
		}
		for _, s := range mf.GetMetric() {
			l := map[string]string{}
			for _, p := range s.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if l["route"] == metrics.HookRoute && l["service"] == "jak-order-sign" && l["code"] == "200" {
				got = s.GetCounter().GetValue()
			}
		}
	}
	if got != 1 {
		t.Errorf("labelguard_http_requests_total{route=%q,service=jak-order-sign,code=200} = %v, want 1", metrics.HookRoute, got)
	}
}
