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

// Coverage is the line coverage of the policy modules (test files
// excluded) by the Rego unit tests, as `opa test --coverage` counts it.
type Coverage struct {
	Percent    float64        `json:"percent"`
	Covered    int            `json:"coveredLines"`
	NotCovered int            `json:"notCoveredLines"`
	Files      []FileCoverage `json:"files"`
}

// FileCoverage is the coverage of one module.
type FileCoverage struct {
	File       string  `json:"file"`
	Percent    float64 `json:"percent"`
	Covered    int     `json:"coveredLines"`
	NotCovered int     `json:"notCoveredLines"`
	// Uncovered lists the uncovered line ranges ("12-14").
	Uncovered []string `json:"uncovered,omitempty"`
}

// RunTestsCoverage runs the Rego unit tests like RunTests and measures the
// line coverage of the policy modules.
func (ps *PolicySet) RunTestsCoverage(ctx context.Context, filter string) ([]TestResult, *Coverage, error) {
	doc, err := ps.tables.document()
	if err != nil {
		return nil, nil, fmt.Errorf("engine.RunTestsCoverage: %w", err)
	}
	cov := cover.New()
	compiler := ast.NewCompiler().
		WithCapabilities(Capabilities()).
		WithEnablePrintStatements(true)
	r := tester.NewRunner().
		SetCompiler(compiler).
		SetStore(inmem.NewFromObject(doc)).
		SetModules(ps.modules).
		CapturePrintOutput(true).
		RaiseBuiltinErrors(true).
		SetCoverageQueryTracer(cov).
		Filter(filter)
	ch, err := r.RunTests(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("engine.RunTestsCoverage: %w", err)
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
	serving := map[string]*ast.Module{}
	for p, m := range ps.modules {
		if !isTest(p) {
			serving[p] = m
		}
	}
	rep := cov.Report(serving)
	c := &Coverage{}
	for file, fr := range rep.Files {
		if isTest(file) {
			continue
		}
		f := FileCoverage{File: file, Covered: fr.CoveredLines, NotCovered: fr.NotCoveredLines}
		f.Percent = percent(f.Covered, f.NotCovered)
		for _, rg := range fr.NotCovered {
			r := fmt.Sprint(rg.Start.Row)
			if rg.Start.Row != rg.End.Row {
				r = fmt.Sprintf("%d-%d", rg.Start.Row, rg.End.Row)
			}
			if !slices.Contains(f.Uncovered, r) {
				f.Uncovered = append(f.Uncovered, r)
			}
		}
		c.Covered += f.Covered
		c.NotCovered += f.NotCovered
		c.Files = append(c.Files, f)
	}
	slices.SortFunc(c.Files, func(a, b FileCoverage) int { return strings.Compare(a.File, b.File) })
	c.Percent = percent(c.Covered, c.NotCovered)
	return out, c, nil
}

func percent(covered, notCovered int) float64 {
	if covered+notCovered == 0 {
		return 100
	}
	return 100 * float64(covered) / float64(covered+notCovered)
}
