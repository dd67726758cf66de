package api

import (
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/labelguard/labelguard/engine"
)

// recordRuleFailures counts each check that could not be made and logs it.
// The call still answers 200 with every other card and the rule-failure
// card (engine.Evaluate); this is how the people who own the rules learn
// of it.
func (s *Server) recordRuleFailures(c *gin.Context, ps *engine.PolicySet, failures []engine.RuleFailure) {
	if len(failures) == 0 {
		return
	}
	for _, f := range failures {
		if s.cfg.Metrics != nil {
			s.cfg.Metrics.RuleFailures.WithLabelValues(f.Package, f.MetricRule(ps.Catalog)).Inc()
		}
		s.failures.record(requestID(c), ps.Revision, f)
	}
}

// failureLogEvery is how often a rule failure that keeps happening is
// logged again, with the number of calls it failed since: a defect in a
// rule fails every call it reaches, and a line per call would bury the
// log (the counter has every one).
const failureLogEvery = time.Minute

// failureLogMax bounds the failures remembered; past it the memory starts
// again (rule failures come from the policies, so there are few kinds).
const failureLogMax = 1000

type failureLog struct {
	out *slog.Logger
	now func() time.Time

	mu   sync.Mutex
	seen map[string]*failureSeen
}

type failureSeen struct {
	last       time.Time
	suppressed int
}

func newFailureLog(log *slog.Logger) *failureLog {
	return &failureLog{out: log, now: time.Now, seen: map[string]*failureSeen{}}
}

// record writes one ERROR line for the first occurrence of a failure (by
// policy revision, package, rule and reason), then at most one per
// failureLogEvery with the count of calls it failed meanwhile. The line
// names the package, the rule and what went wrong; no patient data (the
// engine removes quoted values from error messages).
func (l *failureLog) record(requestID, revision string, f engine.RuleFailure) {
	key := strings.Join([]string{revision, f.Package, f.Rule, f.Reason}, "\x00")
	now := l.now()
	l.mu.Lock()
	e, ok := l.seen[key]
	if !ok {
		if len(l.seen) >= failureLogMax {
			clear(l.seen)
		}
		e = &failureSeen{}
		l.seen[key] = e
	} else if now.Sub(e.last) < failureLogEvery {
		e.suppressed++
		l.mu.Unlock()
		return
	}
	repeats := e.suppressed
	e.last, e.suppressed = now, 0
	l.mu.Unlock()
	rule := f.Rule
	if rule == "" {
		rule = "*"
	}
	attrs := []any{
		slog.String("request_id", requestID), slog.String("package", f.Package), slog.String("rule", rule),
		slog.String("reason", f.Reason), slog.Any("checks", f.Checks), slog.String("policy_revision", revision),
	}
	if ok {
		attrs = append(attrs, slog.Int("calls_since_last_logged", repeats))
	}
	l.out.Error("rule failure: a check could not be made; the call answered with the other cards and a rule-failure card", attrs...)
}
