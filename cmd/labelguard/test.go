package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/scenario"
)

func newTestCmd() *cobra.Command {
	var (
		pf                policyFlags
		scenarioDir, run  string
		coverage, verbose bool
		minCoverage       float64
		asJSON            bool
	)
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Run the Rego unit tests and the scenario tests of a policy set",
		Long: `Run a policy set's Rego unit tests (test_* rules in *_test.rego files, with
the set's own data, under the serving sandbox) and its scenario tests
(whole-patient cases with the expected rule IDs per order, evaluated through
the same pipeline the service runs), and exit non-zero on any failure, so
it can run as-is in a hospital's CI.

Scenarios come from --scenarios DIR, by default <policies>/testdata/scenarios
when --policies is given and that directory exists ("-" runs none). Every
scenario runs in every jurisdiction (US, EU: the site parameter jurisdiction
overridden), against the expectation it states for that jurisdiction
(expectIn, else expect), so that a profile's EU members are tested at a US
site and the other way round. A
scenario also fails when one of its cards has a summary longer than the 140
characters CDS Hooks allows.

--coverage reports the line coverage of the policy modules by the Rego tests;
--min-coverage PCT fails below PCT percent (and implies --coverage).`,
		Example: `  labelguard test --policies ./policies
  labelguard test --policies ./policies --min-coverage 80 --json > test-report.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			ps, err := pf.load(ctx, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			dir := defaultScenarioDir(pf.dir, scenarioDir)
			rep, err := runPolicyTests(ctx, ps, run, coverage || minCoverage > 0, dir)
			if err != nil {
				return err
			}
			if minCoverage > 0 && rep.Coverage != nil && rep.Coverage.Percent < minCoverage {
				rep.Problems = append(rep.Problems, fmt.Sprintf("coverage %.1f%% is below --min-coverage %.1f%%", rep.Coverage.Percent, minCoverage))
			}
			rep.OK = len(rep.Problems) == 0
			if asJSON {
				if err := writeJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
			} else {
				printTestReport(cmd.OutOrStdout(), rep, verbose)
			}
			if !rep.OK {
				return errors.New(strings.Join(rep.Problems, "; "))
			}
			return nil
		},
	}
	pf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&scenarioDir, "scenarios", "", `scenario directory (default <policies>/testdata/scenarios; "-" for none)`)
	f.StringVar(&run, "run", "", "run only the Rego tests whose name matches this regular expression")
	f.BoolVar(&coverage, "coverage", false, "report the line coverage of the policy modules")
	f.Float64Var(&minCoverage, "min-coverage", 0, "fail when coverage is below this percentage")
	f.BoolVarP(&verbose, "verbose", "v", false, "list every test, not only failures")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// testReport is test's JSON output.
type testReport struct {
	Revision  string              `json:"revision"`
	OK        bool                `json:"ok"`
	Problems  []string            `json:"problems"`
	Rego      []engine.TestResult `json:"rego"`
	Coverage  *engine.Coverage    `json:"coverage,omitempty"`
	Scenarios []scenarioResult    `json:"scenarios"`
}

type scenarioResult struct {
	Name         string `json:"name"`
	File         string `json:"file"`
	Jurisdiction string `json:"jurisdiction"`
	Pass         bool   `json:"pass"`
	Failure      string `json:"failure,omitempty"`
}

func runPolicyTests(ctx context.Context, ps *engine.PolicySet, filter string, coverage bool, scenarioDir string) (*testReport, error) {
	rep := &testReport{Revision: ps.Revision, Problems: []string{}, Scenarios: []scenarioResult{}}
	var err error
	if coverage {
		rep.Rego, rep.Coverage, err = ps.RunTestsCoverage(ctx, filter)
	} else {
		rep.Rego, err = ps.RunTests(ctx, filter)
	}
	if err != nil {
		return nil, err
	}
	failed := 0
	for _, r := range rep.Rego {
		if !r.Pass && !r.Skip {
			failed++
		}
	}
	if failed > 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%d of %d Rego tests failed", failed, len(rep.Rego)))
	}
	if len(rep.Rego) == 0 {
		rep.Problems = append(rep.Problems, "the policy set has no Rego tests")
	}
	if scenarioDir == "" {
		return rep, nil
	}
	all, err := scenario.Load(scenarioDir)
	if err != nil {
		return nil, err
	}
	failed = 0
	for _, j := range engine.Jurisdictions {
		psj, err := ps.InJurisdiction(ctx, j)
		if err != nil {
			return nil, err
		}
		for _, s := range all {
			sr := runScenario(ctx, psj, s)
			sr.Jurisdiction = j
			if !sr.Pass {
				failed++
			}
			rep.Scenarios = append(rep.Scenarios, sr)
		}
	}
	if failed > 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%d of %d scenarios failed (%d scenarios, each run in %s)", failed, len(rep.Scenarios), len(all), strings.Join(engine.Jurisdictions, " and ")))
	}
	return rep, nil
}

// runScenario runs one scenario and checks its cards' summaries.
func runScenario(ctx context.Context, ps *engine.PolicySet, s scenario.Scenario) scenarioResult {
	sr := scenarioResult{Name: s.Name, File: filepath.Base(s.File), Pass: true}
	res, err := scenario.Run(ctx, ps, s)
	switch {
	case err != nil:
		sr.Pass, sr.Failure = false, err.Error()
	case !res.Passed():
		sr.Pass, sr.Failure = false, res.String()
	case res.Outcome != nil:
		for _, c := range res.Outcome.Cards {
			if n := utf8.RuneCountInString(c.Summary); n > engine.MaxSummary {
				sr.Pass, sr.Failure = false, fmt.Sprintf("scenario %q: card %q: summary is %d characters (at most %d)", s.Name, c.Summary, n, engine.MaxSummary)
			}
		}
	}
	return sr
}

func printTestReport(w io.Writer, rep *testReport, verbose bool) {
	passed := 0
	for _, r := range rep.Rego {
		switch {
		case r.Pass:
			passed++
			if verbose {
				fmt.Fprintf(w, "PASS %s.%s\n", r.Package, r.Name)
			}
		case r.Skip:
			fmt.Fprintf(w, "SKIP %s.%s (%s)\n", r.Package, r.Name, r.Location)
		default:
			fmt.Fprintf(w, "FAIL %s.%s (%s)", r.Package, r.Name, r.Location)
			if r.Error != "" {
				fmt.Fprintf(w, ": %s", r.Error)
			}
			fmt.Fprintln(w)
			if r.Output != "" {
				fmt.Fprintf(w, "     output: %s\n", strings.TrimSpace(r.Output))
			}
		}
	}
	fmt.Fprintf(w, "Rego tests: %d passed, %d failed (policy revision %s)\n", passed, len(rep.Rego)-passed, rep.Revision)
	if c := rep.Coverage; c != nil {
		fmt.Fprintf(w, "Coverage: %.1f%% (%d of %d lines)\n", c.Percent, c.Covered, c.Covered+c.NotCovered)
		for _, f := range c.Files {
			if f.NotCovered > 0 || verbose {
				fmt.Fprintf(w, "  %-50s %5.1f%%  not covered: %s\n", f.File, f.Percent, strings.Join(f.Uncovered, ", "))
			}
		}
	}
	if len(rep.Scenarios) > 0 {
		sp := 0
		for _, s := range rep.Scenarios {
			if s.Pass {
				sp++
				if verbose {
					fmt.Fprintf(w, "PASS scenario %s (%s)\n", s.File, s.Jurisdiction)
				}
				continue
			}
			fmt.Fprintf(w, "FAIL %s\n", s.Failure)
		}
		fmt.Fprintf(w, "Scenarios: %d passed, %d failed (each in %s)\n", sp, len(rep.Scenarios)-sp, strings.Join(engine.Jurisdictions, " and "))
	}
	if len(rep.Problems) == 0 {
		fmt.Fprintln(w, "PASS")
	} else {
		fmt.Fprintln(w, "FAIL: "+strings.Join(rep.Problems, "; "))
	}
}
