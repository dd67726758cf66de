package engine

import (
	"context"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Query evaluates an ad hoc Rego query against the compiled policy set and
// its data, with input, and returns the value of the query's first
// expression (nil when undefined). It is for authoring tools and tests
// (explanations, consistency checks), not for the hot path: it prepares the
// query on every call. An input that is already an ast.Value (InputValue's)
// is evaluated as it is; any other is converted as rego.Input converts it.
func (ps *PolicySet) Query(ctx context.Context, query string, input any) (any, error) {
	in := rego.Input(input)
	if v, ok := input.(ast.Value); ok {
		in = rego.ParsedInput(v)
	}
	rs, err := rego.New(
		rego.Query(query),
		rego.Compiler(ps.compiler),
		rego.Store(ps.store),
		in,
		rego.StrictBuiltinErrors(true),
	).Eval(ctx)
	if err != nil {
		return nil, fmt.Errorf("engine.Query: %w", err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, nil
	}
	return rs[0].Expressions[0].Value, nil
}
