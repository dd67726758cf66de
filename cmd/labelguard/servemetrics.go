package main

import (
	"maps"
	"runtime"
	"slices"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/metrics"
	"github.com/labelguard/labelguard/policyload"
)

// newServeMetrics returns serve's metrics with labelguard_build_info set.
func newServeMetrics() *metrics.Metrics {
	m := metrics.New()
	m.SetBuildInfo(version, buildRevision(), runtime.Version())
	return m
}

// policyActivated updates the metrics for a policy set put in service:
// the revision, and at zero the per-service series the shipped alert rules
// select, so that they are on /metrics before the first hook call.
func policyActivated(m *metrics.Metrics, ps *engine.PolicySet) {
	m.SetPolicyRevision(ps.Revision, ps.FailureSeries()...)
	for _, s := range ps.Services {
		m.PrimeService(s.ID, slices.Sorted(maps.Keys(s.Prefetch)))
	}
}

// registerReloadState exports whether the newest policy candidate was
// refused: 0 from a rejection until a later attempt activates a set or
// finds the running one again. An alert on it stays firing exactly while
// the configured source holds content that is not in service.
func registerReloadState(m *metrics.Metrics, mgr *policyload.Manager) {
	m.Func("labelguard_policy_last_reload_successful",
		"0 when the last policy reload attempt was rejected (the previous set keeps serving), else 1.", false,
		func() float64 {
			if a := mgr.Status().LastAttempt; a != nil && a.Outcome == policyload.OutcomeRejected {
				return 0
			}
			return 1
		})
}

// registerContentReview exports the content review age and overdue state
// of the active set's drugs (labelguard_content_review_*).
func registerContentReview(m *metrics.Metrics, mgr *policyload.Manager) {
	m.RegisterContentReview(func() []metrics.ContentReview {
		var out []metrics.ContentReview
		for _, c := range mgr.Status().Content {
			out = append(out, metrics.ContentReview{Drug: c.Drug, AgeDays: float64(c.AgeDays), Overdue: c.Overdue})
		}
		return out
	})
}
