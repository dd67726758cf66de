package k8s_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/promqltest"
)

// The labels Prometheus adds to every series it scrapes through the
// ServiceMonitor, and the hook route label the service exports.
const (
	target = `namespace="cds", job="lg-labelguard", pod="lg-labelguard-7d9f-abcde"`
	hook   = `route="/cds-services/:id", service="jak-order-sign"`
)

// alertScenarios are, for each shipped alert, 30 minutes of series as the
// service exports them (one sample a minute) when the alert must fire, and
// when it must not. The series start at zero where the service creates
// them at zero (metrics.PrimeService, the counter funcs).
var alertScenarios = map[string]struct{ fires, quiet string }{
	"LabelguardHookErrors": {
		fires: `labelguard_http_requests_total{` + target + `, ` + hook + `, code="200"} 0+100x30
			labelguard_http_requests_total{` + target + `, ` + hook + `, code="500"} 0+5x30`,
		quiet: `labelguard_http_requests_total{` + target + `, ` + hook + `, code="200"} 0+100x30
			labelguard_http_requests_total{` + target + `, ` + hook + `, code="500"} 0x30
			labelguard_http_requests_total{` + target + `, route="/readyz", service="", code="503"} 0+50x30`,
	},
	"LabelguardHookUnauthorized": {
		fires: `labelguard_http_requests_total{` + target + `, ` + hook + `, code="200"} 0+100x30
			labelguard_http_requests_total{` + target + `, ` + hook + `, code="401"} 0+30x30`,
		quiet: `labelguard_http_requests_total{` + target + `, ` + hook + `, code="200"} 0+100x30
			labelguard_http_requests_total{` + target + `, ` + hook + `, code="401"} 0+1x30`,
	},
	"LabelguardHookLatencyHigh": {
		fires: `labelguard_http_request_duration_seconds_bucket{` + target + `, ` + hook + `, le="0.1"} 0+10x30
			labelguard_http_request_duration_seconds_bucket{` + target + `, ` + hook + `, le="0.5"} 0+50x30
			labelguard_http_request_duration_seconds_bucket{` + target + `, ` + hook + `, le="1"} 0+100x30
			labelguard_http_request_duration_seconds_bucket{` + target + `, ` + hook + `, le="+Inf"} 0+100x30`,
		quiet: `labelguard_http_request_duration_seconds_bucket{` + target + `, ` + hook + `, le="0.1"} 0+99x30
			labelguard_http_request_duration_seconds_bucket{` + target + `, ` + hook + `, le="0.5"} 0+100x30
			labelguard_http_request_duration_seconds_bucket{` + target + `, ` + hook + `, le="1"} 0+100x30
			labelguard_http_request_duration_seconds_bucket{` + target + `, ` + hook + `, le="+Inf"} 0+100x30`,
	},
	"LabelguardHookCallsShed": {
		fires: `labelguard_hook_calls_shed_total{` + target + `} 0+20x30`,
		quiet: `labelguard_hook_calls_shed_total{` + target + `} 0x30`,
	},
	"LabelguardPatientUnavailable": {
		fires: `labelguard_http_requests_total{` + target + `, ` + hook + `, code="200"} 0+100x30
			labelguard_http_requests_total{` + target + `, ` + hook + `, code="412"} 0+10x30`,
		quiet: `labelguard_http_requests_total{` + target + `, ` + hook + `, code="200"} 0+100x30
			labelguard_http_requests_total{` + target + `, ` + hook + `, code="412"} 0x30`,
	},
	"LabelguardPrefetchFailing": {
		fires: `labelguard_http_requests_total{` + target + `, ` + hook + `, code="200"} 0+100x30
			labelguard_data_issues_total{` + target + `, kind="fetch-failed", key="observations"} 0+10x30`,
		quiet: `labelguard_http_requests_total{` + target + `, ` + hook + `, code="200"} 0+100x30
			labelguard_data_issues_total{` + target + `, kind="fetch-failed", key="observations"} 0x30
			labelguard_data_issues_total{` + target + `, kind="dropped", key="observations"} 0+50x30`,
	},
	"LabelguardPolicyReloadRejected": {
		fires: `labelguard_policy_last_reload_successful{` + target + `} 1x20 0x10`,
		quiet: `labelguard_policy_last_reload_successful{` + target + `} 1x10 0x10 1x10`,
	},
	"LabelguardRuleFailures": {
		// Present at zero from the set's activation; one failed call.
		fires: `labelguard_rule_failures_total{` + target + `, package="jak", rule="jak.lab-anc-low"} 0x25 1x5`,
		quiet: `labelguard_rule_failures_total{` + target + `, package="jak", rule="jak.lab-anc-low"} 0x30`,
	},
	"LabelguardPolicyRevisionsDiffer": {
		fires: `labelguard_policy_revision_info{` + target + `, revision="sha256:aaaa"} 1x30
			labelguard_policy_revision_info{namespace="cds", job="lg-labelguard", pod="lg-labelguard-7d9f-fghij", revision="sha256:bbbb"} 1x30`,
		quiet: `labelguard_policy_revision_info{` + target + `, revision="sha256:aaaa"} 1x30
			labelguard_policy_revision_info{namespace="cds", job="lg-labelguard", pod="lg-labelguard-7d9f-fghij", revision="sha256:aaaa"} 1x30
			labelguard_policy_revision_info{namespace="other", job="lg2-labelguard", pod="lg2-labelguard-1", revision="sha256:cccc"} 1x30`,
	},
	"LabelguardAuditRecordsDropped": {
		// The first drop of the pod's life: an increase from zero.
		fires: `labelguard_audit_dropped_total{` + target + `} 0x25 1x5`,
		quiet: `labelguard_audit_dropped_total{` + target + `} 0x30`,
	},
	"LabelguardAuditWriteErrors": {
		fires: `labelguard_audit_write_errors_total{` + target + `} 0+3x30`,
		quiet: `labelguard_audit_write_errors_total{` + target + `} 5x30`,
	},
	"LabelguardAuditQueueFilling": {
		fires: `labelguard_audit_queue_depth{` + target + `} 6000x30
			labelguard_audit_queue_capacity{` + target + `} 10000x30`,
		quiet: `labelguard_audit_queue_depth{` + target + `} 100x30
			labelguard_audit_queue_capacity{` + target + `} 10000x30`,
	},
}

var labelRef = regexp.MustCompile(`\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)`)

// evalAt evaluates expr at minute 30 of the loaded series.
func evalAt(t *testing.T, series, expr string) promql.Vector {
	t.Helper()
	st := promqltest.LoadedStorage(t, "load 1m\n"+series)
	engine := promqltest.NewTestEngine(t, false, 0, promqltest.DefaultMaxSamplesPerQuery)
	q, err := engine.NewInstantQuery(context.Background(), st, nil, expr, time.Unix(0, 0).Add(30*time.Minute))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	defer q.Close()
	res := q.Exec(context.Background())
	if res.Err != nil {
		t.Fatalf("%s: %v", expr, res.Err)
	}
	v, err := res.Vector()
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// TestAlertsFire evaluates each shipped alert rule with the Prometheus
// query engine on series as the service exports them: it must fire in its
// failure scenario, once, with every label its annotations name, and stay
// quiet when the service is healthy.
func TestAlertsFire(t *testing.T) {
	spec := shippedRules(t)
	seen := map[string]bool{}
	for _, g := range spec.Groups {
		for _, r := range g.Rules {
			expr := r.Expr.String()
			seen[r.Alert] = true
			t.Run(r.Alert, func(t *testing.T) {
				t.Parallel()
				if _, err := parser.NewParser(parser.Options{}).ParseExpr(expr); err != nil {
					t.Fatalf("expr does not parse: %v", err)
				}
				sc, ok := alertScenarios[r.Alert]
				if !ok {
					t.Fatal("no scenario: add one to alertScenarios")
				}
				got := evalAt(t, sc.fires, expr)
				if len(got) != 1 {
					t.Fatalf("fires %d times in its scenario, want once: %v", len(got), got)
				}
				for _, a := range r.Annotations {
					for _, m := range labelRef.FindAllStringSubmatch(a, -1) {
						if got[0].Metric.Get(m[1]) == "" {
							t.Errorf("the annotations name $labels.%s, which the alert does not carry: %v", m[1], got[0].Metric)
						}
					}
				}
				if got := evalAt(t, sc.quiet, expr); len(got) != 0 {
					t.Errorf("fires on a healthy service: %v", got)
				}
			})
		}
	}
	for name := range alertScenarios {
		if !seen[name] {
			t.Errorf("scenario for %s, which is not a shipped alert", name)
		}
	}
}

// TestCounterBornAtOneShowsNoIncrease is why the service creates the
// counters the alerts watch at zero: a series whose first sample is its
// first event shows no increase, and an "any increase" alert misses it.
func TestCounterBornAtOneShowsNoIncrease(t *testing.T) {
	const expr = `increase(labelguard_audit_dropped_total[10m]) > 0`
	if got := evalAt(t, `labelguard_audit_dropped_total{`+target+`} _x25 1x5`, expr); len(got) != 0 {
		t.Fatalf("a counter born at 1 showed an increase: %v", got)
	}
	if got := evalAt(t, `labelguard_audit_dropped_total{`+target+`} 0x25 1x5`, expr); len(got) != 1 {
		t.Fatalf("a counter going from 0 to 1 showed no increase: %v", got)
	}
}
