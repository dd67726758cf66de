package metrics_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/labelguard/labelguard/metrics"
)

// TestSeriesAtZero: the series alert rules watch exist at zero before
// anything happened, so that the first event is an increase and a ratio
// of rates is defined; labelguard_build_info names the build.
func TestSeriesAtZero(t *testing.T) {
	m := metrics.New()
	m.PrimeService("jak-order-sign", []string{"patient", "observations"})
	m.SetBuildInfo("1.2.3", "abc123", "go1.26.0")
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	got := rec.Body.String()
	for _, w := range []string{
		`labelguard_policy_reload_total{outcome="activated"} 0`,
		`labelguard_policy_reload_total{outcome="rejected"} 0`,
		`labelguard_http_requests_total{code="200",route="/cds-services/:id",service="jak-order-sign"} 0`,
		`labelguard_http_requests_total{code="401",route="/cds-services/:id",service="jak-order-sign"} 0`,
		`labelguard_http_requests_total{code="412",route="/cds-services/:id",service="jak-order-sign"} 0`,
		`labelguard_http_requests_total{code="500",route="/cds-services/:id",service="jak-order-sign"} 0`,
		`labelguard_http_request_duration_seconds_count{route="/cds-services/:id",service="jak-order-sign"} 0`,
		`labelguard_data_issues_total{key="observations",kind="fetch-failed"} 0`,
		`labelguard_data_issues_total{key="patient",kind="fetch-failed"} 0`,
		`labelguard_build_info{goversion="go1.26.0",revision="abc123",version="1.2.3"} 1`,
	} {
		if !strings.Contains(got, w+"\n") {
			t.Errorf("/metrics lacks %s", w)
		}
	}
}

// The content review gauges are read from the function at each scrape.
func TestContentReviewGauges(t *testing.T) {
	m := metrics.New()
	overdue := false
	m.RegisterContentReview(func() []metrics.ContentReview {
		return []metrics.ContentReview{{Drug: "abrocitinib", AgeDays: 400, Overdue: overdue}}
	})
	scrape := func() string {
		rec := httptest.NewRecorder()
		promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	got := scrape()
	for _, w := range []string{`labelguard_content_review_age_days{drug="abrocitinib"} 400`, `labelguard_content_review_overdue{drug="abrocitinib"} 0`} {
		if !strings.Contains(got, w+"\n") {
			t.Errorf("/metrics lacks %s", w)
		}
	}
	overdue = true
	if !strings.Contains(scrape(), `labelguard_content_review_overdue{drug="abrocitinib"} 1`+"\n") {
		t.Error("the overdue gauge did not follow the active set")
	}
}
