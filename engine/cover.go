package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
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
	cov := cover.New()
	out, err := ps.runTests(ctx, filter, cov)
	if err != nil {
		return nil, nil, fmt.Errorf("engine.RunTestsCoverage: %w", err)
	}
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
