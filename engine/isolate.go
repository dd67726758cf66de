package engine

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// packageQuery is a prepared query over the findings of a set of packages.
type packageQuery struct {
	pkgs []*RulePackage
	pq   rego.PreparedEvalQuery
}

// packageSet is a set of a policy set's rule packages, as bits over
// packageNames: computing a call's set and finding its prepared query
// allocate nothing. A policy set has at most maxPackages packages.
type packageSet uint64

const maxPackages = 64

func (s packageSet) with(i int) packageSet { return s | 1<<i }

func (s packageSet) has(i int) bool { return s&(1<<i) != 0 }

// packages lists the set's packages in name order.
func (ps *PolicySet) packages(s packageSet) []*RulePackage {
	var out []*RulePackage
	for i, name := range ps.packageNames {
		if s.has(i) {
			out = append(out, ps.Packages[name])
		}
	}
	return out
}

// query returns the prepared query of a set of packages, preparing it on
// first use. Sets are few (they follow the drugs of a call), so the cache
// is bounded by the policy set.
func (ps *PolicySet) query(ctx context.Context, set packageSet) (*packageQuery, error) {
	if q, ok := ps.queries.Load(set); ok {
		return q.(*packageQuery), nil
	}
	pkgs := ps.packages(set)
	if len(pkgs) == 0 {
		q := &packageQuery{}
		ps.queries.Store(set, q)
		return q, nil
	}
	names := make([]string, len(pkgs))
	exprs := make([]string, len(pkgs))
	for i, p := range pkgs {
		names[i] = p.Name
		exprs[i] = p.findingsRef().String()
	}
	pq, err := rego.New(
		rego.Query(strings.Join(exprs, "; ")),
		rego.Compiler(ps.compiler),
		rego.Store(ps.store),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare the findings of packages %s: %w", strings.Join(names, ", "), err)
	}
	q, _ := ps.queries.LoadOrStore(set, &packageQuery{pkgs: pkgs, pq: pq})
	return q.(*packageQuery), nil
}

// reachableFor is the set of packages of hook that concern any of drugs.
func (ps *PolicySet) reachableFor(hook string, drugs map[string]bool) packageSet {
	var set packageSet
	for i, name := range ps.packageNames {
		if ps.Packages[name].Concerns(hook, drugs) {
			set = set.with(i)
		}
	}
	return set
}

// packageResult is one package's raw findings.
type packageResult struct {
	pkg   *RulePackage
	value any
}

// evalPackages evaluates the packages' findings in one query, so that the
// helper rules they share are evaluated once. When that fails for any
// other reason than the end of ctx, each package is evaluated alone: the
// packages that succeed keep their findings and each one that fails is a
// failure of its own checks, so one defect never silences the others.
func (ps *PolicySet) evalPackages(ctx context.Context, set packageSet, input ast.Value) ([]packageResult, []RuleFailure, error) {
	if set == 0 {
		return nil, nil, nil
	}
	q, err := ps.query(ctx, set)
	if err != nil {
		return nil, nil, err
	}
	pkgs := q.pkgs
	rs, err := q.pq.Eval(ctx, rego.EvalParsedInput(input))
	if err == nil && len(rs) == 1 && len(rs[0].Expressions) == len(pkgs) {
		out := make([]packageResult, len(pkgs))
		for i, p := range pkgs {
			out[i] = packageResult{pkg: p, value: rs[0].Expressions[i].Value}
		}
		return out, nil, nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return nil, nil, fmt.Errorf("evaluate: %w", errors.Join(cerr, err))
	}
	var out []packageResult
	var failures []RuleFailure
	for _, p := range pkgs {
		one, qerr := ps.query(ctx, packageSet(0).with(slices.Index(ps.packageNames, p.Name)))
		if qerr != nil {
			return nil, nil, qerr
		}
		rs, err := one.pq.Eval(ctx, rego.EvalParsedInput(input))
		switch {
		case ctx.Err() != nil:
			return nil, nil, fmt.Errorf("evaluate: %w", errors.Join(ctx.Err(), err))
		case err != nil:
			failures = append(failures, RuleFailure{Package: p.Name, Checks: slices.Clone(p.Rules), Reason: "evaluation failed: " + evalErrorText(err)})
		case len(rs) == 0 || len(rs[0].Expressions) == 0:
			// findings undefined: a complete rule whose body did not
			// hold; nothing fired.
			out = append(out, packageResult{pkg: p})
		default:
			out = append(out, packageResult{pkg: p, value: rs[0].Expressions[0].Value})
		}
	}
	return out, failures, nil
}

// quoted matches a quoted string in an error message: a value from the
// input (patient data) may be quoted there, and logs carry none.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)

// evalErrorText describes an evaluation error by its OPA code, location
// and message, with quoted values removed.
func evalErrorText(err error) string {
	var te *topdown.Error
	if errors.As(err, &te) {
		loc := ""
		if te.Location != nil {
			loc = fmt.Sprintf(" at %s:%d", te.Location.File, te.Location.Row)
		}
		return fmt.Sprintf("%s%s: %s", te.Code, loc, quoted.ReplaceAllString(te.Message, `"…"`))
	}
	return quoted.ReplaceAllString(err.Error(), `"…"`)
}
