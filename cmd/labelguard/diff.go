package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/policyload"
	"github.com/labelguard/labelguard/scenario"
)

func newDiffCmd() *cobra.Command {
	var (
		base, candidate, corpus, publicKey, siteParams string
		orderFile, hook                                string
		asOf                                           asOfFlag
		asJSON, failOnChange                           bool
	)
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Compare the cards of two policy versions over a corpus (impact review)",
		Long: `Evaluate two versions of a policy set over a corpus and report, per item
and in total, which cards appear, disappear or change indicator (by rule ID
and order): the impact review before a release.

--base and --candidate are each a policy directory or a bundle (.tar.gz);
--base defaults to the embedded set. Each version derives the facts with its
own value sets and tables, exactly as the service would.

--corpus is a directory of JSON files, each one of:
  - a scenario (policies/testdata/scenarios format), evaluated at its own time;
  - a CDS Hooks request, evaluated as of --as-of;
  - a patient bundle (FHIR Bundle), evaluated with the draft order(s) of
    --order and --hook as of --as-of.

Output is a table (or --json). The exit status is non-zero when an item
cannot be evaluated, and with --fail-on-change when anything changed.`,
		Example: `  labelguard diff --candidate ./policies --corpus ./policies/testdata/scenarios
  labelguard diff --base v1.tar.gz --candidate v2.tar.gz --bundle-public-key pub.pem --corpus requests/ --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if candidate == "" || corpus == "" {
				return errors.New("--candidate and --corpus are required")
			}
			stderr := cmd.ErrOrStderr()
			baseSet, err := loadOptionalSource(ctx, base, publicKey, siteParams, stderr)
			if err != nil {
				return fmt.Errorf("--base: %w", err)
			}
			candSet, err := loadPolicySource(ctx, candidate, publicKey, siteParams, nil, stderr)
			if err != nil {
				return fmt.Errorf("--candidate: %w", err)
			}
			at, err := asOf.time()
			if err != nil {
				return err
			}
			var order []byte
			if orderFile != "" {
				if order, err = os.ReadFile(orderFile); err != nil {
					return fmt.Errorf("--order: %w", err)
				}
			}
			rep, err := diffCorpus(ctx, baseSet, candSet, corpus, corpusOptions{order: order, hook: hook, now: at})
			if err != nil {
				return err
			}
			if asJSON {
				err = writeJSON(cmd.OutOrStdout(), rep)
			} else {
				err = printDiff(cmd.OutOrStdout(), rep)
			}
			if err != nil {
				return err
			}
			if rep.Errors > 0 {
				return fmt.Errorf("%d item(s) could not be evaluated", rep.Errors)
			}
			if failOnChange && rep.Summary.ChangedCalls > 0 {
				return fmt.Errorf("%d of %d item(s) changed", rep.Summary.ChangedCalls, rep.Summary.Calls)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&base, "base", "", "base policy directory or bundle (default: the embedded set)")
	f.StringVar(&candidate, "candidate", "", "candidate policy directory or bundle")
	f.StringVar(&corpus, "corpus", "", "directory of scenarios, CDS Hooks requests or patient bundles")
	f.StringVar(&publicKey, "bundle-public-key", "", "PEM public key that verifies bundles (without it signatures are not checked, with a warning)")
	f.StringVar(&siteParams, "site-params", "", "site parameters file applied to both versions")
	f.StringVar(&orderFile, "order", "", "draft order(s) for the patient bundles of the corpus")
	f.StringVar(&hook, "hook", cdshooks.HookOrderSign, "hook for patient bundles")
	asOf.register(cmd, "evaluation time for requests and patient bundles")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.BoolVar(&failOnChange, "fail-on-change", false, "exit non-zero when any card changes")
	return cmd
}

func loadOptionalSource(ctx context.Context, path, publicKey, siteParams string, stderr io.Writer) (*engine.PolicySet, error) {
	if path == "" {
		return loadPolicies(ctx, "", siteParams, nil)
	}
	return loadPolicySource(ctx, path, publicKey, siteParams, nil, stderr)
}

type corpusOptions struct {
	order []byte
	hook  string
	now   time.Time
}

// diffReport is diff's JSON output.
type diffReport struct {
	Base      string             `json:"base"`
	Candidate string             `json:"candidate"`
	Items     []diffItem         `json:"items"`
	Errors    int                `json:"errors"`
	Summary   policyload.Summary `json:"summary"`
}

type diffItem struct {
	Item    string              `json:"item"`
	Kind    string              `json:"kind"` // scenario, request, patient
	Name    string              `json:"name,omitempty"`
	Changes []policyload.Change `json:"changes"`
	Error   string              `json:"error,omitempty"`
}

func diffCorpus(ctx context.Context, base, cand *engine.PolicySet, dir string, opts corpusOptions) (*diffReport, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("--corpus: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("--corpus %s: no JSON file", dir)
	}
	slices.Sort(files)
	rep := &diffReport{Base: base.Revision, Candidate: cand.Revision, Items: []diffItem{}}
	var tally policyload.Tally
	for _, p := range files {
		rel, _ := filepath.Rel(dir, p)
		it := diffItem{Item: filepath.ToSlash(rel)}
		b, c, err := evalItem(ctx, base, cand, p, opts, &it)
		if err != nil {
			it.Error = err.Error()
			rep.Errors++
		} else {
			it.Changes = policyload.Compare(b, c)
			tally.Add(it.Changes)
		}
		if it.Changes == nil {
			it.Changes = []policyload.Change{}
		}
		rep.Items = append(rep.Items, it)
	}
	rep.Summary = tally.Summary()
	return rep, nil
}

// evalItem evaluates one corpus file with both sets and returns their
// findings.
func evalItem(ctx context.Context, base, cand *engine.PolicySet, path string, opts corpusOptions, it *diffItem) ([]engine.Finding, []engine.Finding, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var head map[string]json.RawMessage
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, nil, fmt.Errorf("not a JSON object: %w", err)
	}
	var run func(ps *engine.PolicySet) ([]engine.Finding, error)
	switch {
	case head["expect"] != nil && head["now"] != nil:
		it.Kind = "scenario"
		s, err := scenario.LoadFile(path)
		if err != nil {
			return nil, nil, err
		}
		it.Name = s.Name
		run = func(ps *engine.PolicySet) ([]engine.Finding, error) {
			res, err := scenario.Run(ctx, ps, s)
			if err != nil {
				return nil, err
			}
			return res.Outcome.Findings, nil
		}
	case head["hook"] != nil && head["hookInstance"] != nil:
		it.Kind = "request"
		run = func(ps *engine.PolicySet) ([]engine.Finding, error) {
			c, err := requestCall(ps, data, "")
			if err != nil {
				return nil, err
			}
			return runCall(ctx, ps, c, opts.now)
		}
	case string(head["resourceType"]) == `"Bundle"`:
		it.Kind = "patient"
		if opts.order == nil {
			return nil, nil, errors.New("a patient bundle needs --order")
		}
		run = func(ps *engine.PolicySet) ([]engine.Finding, error) {
			c, err := patientCall(ps, path, opts.order, opts.hook, "")
			if err != nil {
				return nil, err
			}
			return runCall(ctx, ps, c, opts.now)
		}
	default:
		return nil, nil, errors.New("neither a scenario, a CDS Hooks request nor a FHIR Bundle")
	}
	b, err := run(base)
	if err != nil {
		return nil, nil, fmt.Errorf("base: %w", err)
	}
	c, err := run(cand)
	if err != nil {
		return nil, nil, fmt.Errorf("candidate: %w", err)
	}
	return b, c, nil
}

func runCall(ctx context.Context, ps *engine.PolicySet, c *call, now time.Time) ([]engine.Finding, error) {
	out, err := pipeline.Run(ctx, ps, c.service, c.req, c.hc, now)
	if err != nil {
		return nil, err
	}
	return out.Findings, nil
}

func printDiff(w io.Writer, rep *diffReport) error {
	fmt.Fprintf(w, "base %s → candidate %s\n\n", rep.Base, rep.Candidate)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ITEM\tORDER\tRULE\tCHANGE")
	for _, it := range rep.Items {
		if it.Error != "" {
			fmt.Fprintf(tw, "%s\t\t\tERROR %s\n", it.Item, it.Error)
			continue
		}
		for _, c := range it.Changes {
			var change string
			switch c.Kind {
			case policyload.Appeared:
				change = "appeared (" + c.To + ")"
			case policyload.Disappeared:
				change = "disappeared (was " + c.From + ")"
			default:
				change = "indicator " + c.From + " → " + c.To
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", it.Item, orNone(c.Order), c.Rule, change)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := rep.Summary
	fmt.Fprintf(w, "\n%d item(s) evaluated, %d changed, %d error(s): %d card(s) appeared, %d disappeared, %d changed indicator\n",
		s.Calls, s.ChangedCalls, rep.Errors, s.Appeared, s.Disappeared, s.Indicator)
	if len(s.Rules) > 0 {
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "\nRULE\tAPPEARED\tDISAPPEARED\tINDICATOR CHANGED")
		for _, r := range s.Rules {
			var ind []string
			for _, k := range slices.Sorted(maps.Keys(r.Indicator)) {
				ind = append(ind, fmt.Sprintf("%s ×%d", k, r.Indicator[k]))
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", r.Rule, r.Appeared, r.Disappeared, strings.Join(ind, ", "))
		}
		return tw.Flush()
	}
	return nil
}
