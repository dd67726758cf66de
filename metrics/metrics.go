// Package metrics defines labelguard's Prometheus metrics in one place, so
// that every label is reviewed for cardinality and patient data: labels
// carry route templates, known service IDs, rule IDs, indicators and
// outcomes, never a path, a patient or a value.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds the collectors the service updates.
type Metrics struct {
	Registry *prometheus.Registry

	Requests        *prometheus.CounterVec
	RequestDuration *prometheus.HistogramVec
	Cards           *prometheus.CounterVec
	PolicyRevision  *prometheus.GaugeVec
	PolicyReloads   *prometheus.CounterVec
	DataIncomplete  *prometheus.CounterVec
	ShadowChanges   *prometheus.CounterVec
	RuleFailures    *prometheus.CounterVec
}

// New registers the collectors, with the Go runtime and process collectors,
// on a fresh registry (not the global one, so tests stay independent).
func New() *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.Requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "labelguard_http_requests_total",
		Help: "HTTP requests by route template, service and status code.",
	}, []string{"route", "service", "code"})
	m.RequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "labelguard_http_request_duration_seconds",
		Help: "HTTP request latency by route template and service.",
		// Hooks answer in milliseconds; EHRs time out between 0.5 and 2 s.
		Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2},
	}, []string{"route", "service"})
	m.Cards = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "labelguard_cards_total",
		Help: "Cards returned, by rule ID and indicator.",
	}, []string{"rule", "indicator"})
	m.PolicyRevision = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "labelguard_policy_revision_info",
		Help: "The active policy revision (value 1).",
	}, []string{"revision"})
	m.PolicyReloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "labelguard_policy_reload_total",
		Help: "Policy reload attempts by outcome (activated, rejected).",
	}, []string{"outcome"})
	m.DataIncomplete = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "labelguard_data_issues_total",
		Help: "Data that could not be obtained or was dropped, by kind and prefetch key.",
	}, []string{"kind", "key"})
	m.ShadowChanges = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "labelguard_shadow_changes_total",
		Help: "Cards the shadow (candidate) policy set would change, by service, rule and kind (appeared, disappeared, indicator).",
	}, []string{"service", "rule", "kind"})
	m.RuleFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "labelguard_rule_failures_total",
		Help: "Checks that could not be made: a rule package whose evaluation failed (rule \"*\") or a finding that could not become a card, by rule package and rule ID (\"unknown\" for an ID the catalog does not know). Every series of the active policy set is present from its activation.",
	}, []string{"package", "rule"})
	m.Registry.MustRegister(
		m.ShadowChanges, m.RuleFailures,
		m.Requests, m.RequestDuration, m.Cards, m.PolicyRevision, m.PolicyReloads,
		m.DataIncomplete,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	// Counters an alert watches for "any increase" exist at zero from the
	// start: a series born at 1 shows no increase, and its first event
	// would be missed.
	for _, outcome := range []string{"activated", "rejected"} {
		m.PolicyReloads.WithLabelValues(outcome)
	}
	return m
}

// HookRoute is the route label of hook calls (gin's route template).
const HookRoute = "/cds-services/:id"

// primedCodes are the status codes of hook calls whose series exist at
// zero for every service: the answered calls and the failures the shipped
// alert rules (charts/labelguard/files/prometheus-rules.yaml) watch.
var primedCodes = []string{"200", "401", "412", "500"}

// PrimeService creates at zero the series of one CDS service that the
// shipped alert rules select: its hook calls by the watched status codes,
// its latency histogram, and a failed fetch of each of its prefetch keys.
// A ratio of rates is then defined from the first scrape, and the first
// failure is an increase from zero.
func (m *Metrics) PrimeService(id string, prefetchKeys []string) {
	for _, code := range primedCodes {
		m.Requests.WithLabelValues(HookRoute, id, code)
	}
	m.RequestDuration.WithLabelValues(HookRoute, id)
	for _, k := range prefetchKeys {
		m.DataIncomplete.WithLabelValues("fetch-failed", k)
	}
}

// SetBuildInfo registers labelguard_build_info (value 1) with the version,
// VCS revision and Go version of the running binary, so that a dashboard
// or an alert can tell which build each pod runs. Call it once.
func (m *Metrics) SetBuildInfo(version, revision, goVersion string) {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "labelguard_build_info",
		Help: "The running build (value 1): version, VCS revision and Go version.",
	}, []string{"version", "revision", "goversion"})
	g.WithLabelValues(version, revision, goVersion).Set(1)
	m.Registry.MustRegister(g)
}

// SetPolicyRevision makes rev the only revision reported as active, and
// makes the rule failure series of its rule packages present (at zero
// until a failure), so that an alert on them can fire: series are
// {package, rule} pairs, rule "*" standing for the whole package.
func (m *Metrics) SetPolicyRevision(rev string, ruleSeries ...[2]string) {
	m.PolicyRevision.Reset()
	m.PolicyRevision.WithLabelValues(rev).Set(1)
	for _, s := range ruleSeries {
		m.RuleFailures.WithLabelValues(s[0], s[1])
	}
}

// Func registers a gauge or counter read from a function, for values other
// packages keep (the audit queue's depth and drops).
func (m *Metrics) Func(name, help string, counter bool, f func() float64) {
	if counter {
		m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
		return
	}
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// ContentReview is one drug's content review state, as
// labelguard_content_review_* report it.
type ContentReview struct {
	Drug    string
	AgeDays float64
	Overdue bool
}

// contentCollector reads the active policy set's review state at each
// scrape, so that a review falls due without a reload.
type contentCollector struct {
	read    func() []ContentReview
	age     *prometheus.Desc
	overdue *prometheus.Desc
}

func (c *contentCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.age
	ch <- c.overdue
}

func (c *contentCollector) Collect(ch chan<- prometheus.Metric) {
	for _, r := range c.read() {
		ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, r.AgeDays, r.Drug)
		v := 0.0
		if r.Overdue {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.overdue, prometheus.GaugeValue, v, r.Drug)
	}
}

// RegisterContentReview exports, per target drug of the active policy set
// (a drug ID: a handful of series, no patient data), the age in days of
// its profile's last content review and whether that review is overdue
// by the site's contentReviewMonths. Call it once.
func (m *Metrics) RegisterContentReview(read func() []ContentReview) {
	m.Registry.MustRegister(&contentCollector{
		read: read,
		age: prometheus.NewDesc("labelguard_content_review_age_days",
			"Days since the drug profile's clinical content was last reviewed against its labels (profiles/<drug>.json reviewed.date).", []string{"drug"}, nil),
		overdue: prometheus.NewDesc("labelguard_content_review_overdue",
			"1 when the drug profile's last content review is older than the site parameter contentReviewMonths (default 12), else 0.", []string{"drug"}, nil),
	})
}
