package scenario

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/pipeline"
)

// Result is the outcome of one scenario.
type Result struct {
	Scenario string
	File     string
	// Jurisdiction is the one the policy set follows (the site
	// parameter): the expectation is the scenario's for it.
	Jurisdiction string
	// Got maps each order reference (NoOrder for cards without one) to the
	// sorted rule IDs of its cards.
	Got map[string][]string
	// Expected is the scenario's expectation, lists sorted.
	Expected map[string][]string
	// Diffs lists the orders whose rule IDs differ, in order reference
	// order.
	Diffs []Diff
	// Outcome is the pipeline's result, for a closer look.
	Outcome *pipeline.Outcome
	// Hook is the hook the scenario called.
	Hook string
}

// Diff is the difference on one order.
type Diff struct {
	Order      string
	Expected   []string
	Got        []string
	Missing    []string // expected, not fired
	Unexpected []string // fired, not expected
}

// Passed reports whether every order got exactly the expected rules.
func (r *Result) Passed() bool { return len(r.Diffs) == 0 }

// String is the human-readable failure text ("" when the scenario passed).
func (r *Result) String() string {
	if r.Passed() {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %q (%s, jurisdiction %s):", r.Scenario, r.File, r.Jurisdiction)
	for _, d := range r.Diffs {
		b.WriteString("\n  " + d.String())
	}
	return b.String()
}

func (d Diff) String() string {
	order := d.Order
	if order == NoOrder {
		order = "(no order)"
	}
	s := fmt.Sprintf("%s: expected %s, got %s", order, list(d.Expected), list(d.Got))
	var parts []string
	if len(d.Missing) > 0 {
		parts = append(parts, "missing "+strings.Join(d.Missing, ", "))
	}
	if len(d.Unexpected) > 0 {
		parts = append(parts, "unexpected "+strings.Join(d.Unexpected, ", "))
	}
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, "; ") + ")"
	}
	return s
}

func list(ids []string) string {
	if len(ids) == 0 {
		return "no card"
	}
	return "[" + strings.Join(ids, " ") + "]"
}

// Run evaluates the scenario with the policy set ps through pipeline.Run,
// the path every service call takes, and compares the rule IDs per order
// with the expectation. An error means the scenario could not be run (a
// malformed request, an unknown service, a pipeline error); a mismatch is
// reported in the Result.
func Run(ctx context.Context, ps *engine.PolicySet, s Scenario) (*Result, error) {
	svc, ok := ps.Service(s.ServiceID())
	if !ok {
		return nil, fmt.Errorf("scenario %s: %w %q in the policy set", s.Name, ErrUnknownService, s.ServiceID())
	}
	if svc.Hook != s.hook() {
		return nil, fmt.Errorf("scenario %s: service %s answers %s, not %s", s.Name, svc.ID, svc.Hook, s.hook())
	}
	req, hc, now, err := s.RequestFor(svc.Service)
	if err != nil {
		return nil, err
	}
	out, err := pipeline.Run(ctx, ps, svc, req, hc, now)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	res := &Result{Scenario: s.Name, File: s.File, Got: map[string][]string{}, Expected: s.expected(ps.Jurisdiction()), Jurisdiction: ps.Jurisdiction(), Outcome: out, Hook: s.hook()}
	if out.Result != nil {
		for _, f := range out.Findings {
			res.Got[f.Order] = append(res.Got[f.Order], f.Rule)
		}
	}
	for k := range res.Got {
		sort.Strings(res.Got[k])
	}
	res.Diffs = diff(res.Expected, res.Got)
	return res, nil
}

// diff compares expected and got per order.
func diff(expected, got map[string][]string) []Diff {
	orders := map[string]bool{}
	for k := range expected {
		orders[k] = true
	}
	for k := range got {
		orders[k] = true
	}
	var out []Diff
	for _, o := range slices.Sorted(maps.Keys(orders)) {
		e, g := expected[o], got[o]
		d := Diff{Order: o, Expected: e, Got: g, Missing: minus(e, g), Unexpected: minus(g, e)}
		// A rule fired twice on one order is a defect too.
		if len(d.Missing) > 0 || len(d.Unexpected) > 0 || len(g) != len(e) {
			out = append(out, d)
		}
	}
	return out
}

// minus returns the items of a not in b.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// RunAll runs every scenario in every jurisdiction, with base followed in
// each (InJurisdiction), and calls fn with each result in turn.
func RunAll(ctx context.Context, base *engine.PolicySet, scenarios []Scenario, fn func(*Result) error) error {
	for _, j := range engine.Jurisdictions {
		ps, err := base.InJurisdiction(ctx, j)
		if err != nil {
			return fmt.Errorf("scenario.RunAll: %w", err)
		}
		for _, s := range scenarios {
			res, err := Run(ctx, ps, s)
			if err != nil {
				return err
			}
			if err := fn(res); err != nil {
				return err
			}
		}
	}
	return nil
}
