package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/labelguard/labelguard/facts"
)

// callQuery is the prepared query a call on hook with input in evaluates.
func callQuery(tb testing.TB, ps *PolicySet, hook string, in *facts.Input) *rego.PreparedEvalQuery {
	tb.Helper()
	q, err := ps.query(context.Background(), ps.reachable(hook, in))
	if err != nil {
		tb.Fatal(err)
	}
	return &q.pq
}

// mustFindings evaluates the packages a call on hook reaches and fails on
// any rule failure: the served policies have none.
func mustFindings(ctx context.Context, ps *PolicySet, hook string, in *facts.Input, v ast.Value) ([]Finding, error) {
	fs, failures, _, err := ps.evalFindings(ctx, cardBuilder{ps: ps, in: in}, hook, v)
	if err != nil {
		return nil, err
	}
	if len(failures) > 0 {
		return nil, fmt.Errorf("rule failures: %+v", failures)
	}
	return fs, nil
}
