package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestResult is the outcome of one Rego test.
type TestResult struct {
	Package  string `json:"package"`
	Name     string `json:"name"`
	Location string `json:"location"`
	Pass     bool   `json:"pass"`
	Skip     bool   `json:"skip,omitempty"`
	Error    string `json:"error,omitempty"`
	Output   string `json:"output,omitempty"`
}

// RunTests runs the policy set's Rego unit tests (test_* rules in
// *_test.rego files) against its own data, under the same restricted
// capabilities as serving. filter is a regular expression over test names
// ("" runs all).
func (ps *PolicySet) RunTests(ctx context.Context, filter string) ([]TestResult, error) {
	out, err := ps.runTests(ctx, filter, nil)
	if err != nil {
		return nil, fmt.Errorf("engine.RunTests: %w", err)
	}
	return out, nil
}

// runTests runs the tests, tracing coverage into cov when it is set.
func (ps *PolicySet) runTests(ctx context.Context, filter string, cov *cover.Cover) ([]TestResult, error) {
	doc, err := ps.tables.document()
	if err != nil {
		return nil, err
	}
	compiler := ast.NewCompiler().
		WithCapabilities(Capabilities()).
		WithEnablePrintStatements(true)
	r := tester.NewRunner().
		SetCompiler(compiler).
		SetStore(inmem.NewFromObject(doc)).
		SetModules(ps.modules).
		CapturePrintOutput(true).
		RaiseBuiltinErrors(true).
		Filter(filter)
	if cov != nil {
		r = r.SetCoverageQueryTracer(cov)
	}
	ch, err := r.RunTests(ctx, nil)
	if err != nil {
		return nil, err
	}
	var out []TestResult
	for res := range ch {
		tr := TestResult{
			Package: strings.TrimPrefix(res.Package, "data."),
			Name:    res.Name,
			Pass:    !res.Fail && res.Error == nil && !res.Skip,
			Skip:    res.Skip,
			Output:  string(res.Output),
		}
		if res.Location != nil {
			tr.Location = fmt.Sprintf("%s:%d", res.Location.File, res.Location.Row)
		}
		if res.Error != nil {
			tr.Error = res.Error.Error()
		}
		out = append(out, tr)
	}
	slices.SortFunc(out, func(a, b TestResult) int {
		if c := strings.Compare(a.Package, b.Package); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// DataDocument returns the data tree the policies see under data, for
// authoring tools such as `opa test` run beside the project.
func (ps *PolicySet) DataDocument() (map[string]any, error) {
	return ps.tables.document()
}
