package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/internal/record"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/terminology"
)

// policyFlags are the flags that choose a policy set, shared by eval,
// test and diff.
type policyFlags struct {
	dir, bundle, publicKey, siteParams string
	// terminology is the site terminology directory (eval only).
	terminology string
}

func (p *policyFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&p.dir, "policies", "", "policy directory (default: the embedded set)")
	f.StringVar(&p.bundle, "bundle", "", "policy bundle (.tar.gz) instead of a directory")
	f.StringVar(&p.publicKey, "bundle-public-key", "", "PEM public key that verifies --bundle (without it the signature is not checked, with a warning)")
	f.StringVar(&p.siteParams, "site-params", "", "site parameters file merged over data/params.json")
}

// registerTerminology adds --terminology: the site terminology the policy
// set is loaded with, as serve --terminology.
func (p *policyFlags) registerTerminology(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.terminology, "terminology", "", "site terminology directory (labelguard terminology import): RxNorm and NDC codes of the profiles' products")
}

func (p *policyFlags) load(ctx context.Context, stderr io.Writer) (*engine.PolicySet, error) {
	site, err := loadSiteTerminology(p.terminology)
	if err != nil {
		return nil, err
	}
	if p.bundle != "" {
		if p.dir != "" {
			return nil, errors.New("--policies and --bundle are exclusive")
		}
		return loadPolicySource(ctx, p.bundle, p.publicKey, p.siteParams, site, stderr)
	}
	return loadPolicies(ctx, p.dir, p.siteParams, site)
}

// loadSiteTerminology reads a --terminology directory; "" is none.
func loadSiteTerminology(dir string) (*terminology.Site, error) {
	if dir == "" {
		return nil, nil
	}
	site, err := terminology.LoadSite(dir)
	if err != nil {
		return nil, fmt.Errorf("--terminology: %w", err)
	}
	return site, nil
}

// loadPolicySource loads a directory or a bundle file.
func loadPolicySource(ctx context.Context, path, publicKeyFile, siteParamsFile string, site *terminology.Site, stderr io.Writer) (*engine.PolicySet, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("policy source: %w", err)
	}
	if st.IsDir() {
		return loadPolicies(ctx, path, siteParamsFile, site)
	}
	opts := engine.BundleOptions{Terminology: site}
	if siteParamsFile != "" {
		if opts.SiteParams, err = os.ReadFile(siteParamsFile); err != nil {
			return nil, fmt.Errorf("--site-params: %w", err)
		}
	}
	if publicKeyFile != "" {
		if opts.PublicKey, err = os.ReadFile(publicKeyFile); err != nil {
			return nil, fmt.Errorf("--bundle-public-key: %w", err)
		}
	} else {
		opts.SkipVerify = true
		fmt.Fprintf(stderr, "warning: %s: signature not verified (no --bundle-public-key)\n", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	defer f.Close()
	return engine.LoadBundle(ctx, f, opts)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// call is one evaluable hook call.
type call struct {
	req     *cdshooks.Request
	hc      *cdshooks.HookContext
	service engine.Service
}

// serviceFor picks the service: by ID when given, else the first one that
// answers the hook.
func serviceFor(ps *engine.PolicySet, id, hook string) (engine.Service, error) {
	if id != "" {
		s, ok := ps.Service(id)
		if !ok {
			return engine.Service{}, fmt.Errorf("--service %q: no such service in the policy set", id)
		}
		return s, nil
	}
	for _, s := range ps.Services {
		if s.Hook == hook {
			return s, nil
		}
	}
	return engine.Service{}, fmt.Errorf("no service of the policy set answers %s", hook)
}

// requestCall decodes a CDS Hooks request body.
func requestCall(ps *engine.PolicySet, data []byte, serviceID string) (*call, error) {
	req, err := cdshooks.DecodeRequest(bytes.NewReader(data), cdshooks.Limits{})
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	hc, err := cdshooks.DecodeContext(req.Hook, req.Context)
	if err != nil {
		return nil, fmt.Errorf("request context: %w", err)
	}
	svc, err := serviceFor(ps, serviceID, req.Hook)
	if err != nil {
		return nil, err
	}
	return &call{req: req, hc: hc, service: svc}, nil
}

// patientCall builds the request an EHR would send for a patient bundle
// (any FHIR Bundle with the Patient and their resources) and draft orders
// (a resource or a Bundle of them), with every prefetch key the service
// declares filled from the bundle.
func patientCall(ps *engine.PolicySet, patientFile string, orders []byte, hook, serviceID string) (*call, error) {
	p, err := record.Load(patientFile)
	if err != nil {
		return nil, fmt.Errorf("--patient: %w", err)
	}
	var drafts []record.Resource
	var doc map[string]any
	if err := json.Unmarshal(orders, &doc); err != nil {
		return nil, fmt.Errorf("--order: %w", err)
	}
	if doc["resourceType"] == "Bundle" {
		entries, _ := doc["entry"].([]any)
		for _, e := range entries {
			if r, ok := e.(map[string]any)["resource"].(map[string]any); ok {
				drafts = append(drafts, r)
			}
		}
	} else {
		drafts = append(drafts, doc)
	}
	if len(drafts) == 0 {
		return nil, errors.New("--order: no resource")
	}
	for _, d := range drafts {
		if _, ok := d["subject"]; !ok {
			d["subject"] = map[string]any{"reference": "Patient/" + p.ID}
		}
	}
	svc, err := serviceFor(ps, serviceID, hook)
	if err != nil {
		return nil, err
	}
	all := p.Prefetch(nil)
	prefetch := map[string]any{}
	for key := range svc.Prefetch {
		if v, ok := all[key]; ok {
			prefetch[key] = v
		}
	}
	body := record.Request(hook, "labelguard-eval", p.ID, prefetch, drafts, nil)
	delete(body, "fhirServer")
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	c, err := requestCall(ps, raw, svc.ID)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func newEvalCmd() *cobra.Command {
	var (
		pf                                  policyFlags
		requestFile, patientFile, orderFile string
		hook, serviceID                     string
		explain, asJSON                     bool
		asOf                                asOfFlag
	)
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Evaluate one request against a policy set and print the cards",
		Long: `Evaluate a CDS Hooks request (--request), or a patient bundle and draft
order (--patient and --order), against a policy directory (--policies,
default the embedded set) or bundle (--bundle), as of --as-of (default: the
current time), exactly as the service would, and print the cards as a
clinician reads them: indicator, summary, detail, source, suggestions.

--as-of is the evaluation clock: a request written for 2026-11-23 gives the
cards it was written for with --as-of 2026-11-23, whatever the date today
(the service itself always evaluates at its own clock).

--explain also prints:
  - the policy input the rules saw (the facts derived from the request);
  - the rules that fired, with their evidence;
  - the rules that were considered and stayed silent, and why, as far as
    labelguard can tell: switched off at this site; no order or medication
    of the rule's drugs; a lab the rule names absent, or outside its
    window; nothing on the record in a value set the rule names; otherwise
    "conditions not met". Only facts a rule names literally in its body are
    examined; facts it reaches through helper rules are not.

Nothing is fetched from a FHIR server: the request's prefetch is all there is.`,
		Example: `  labelguard eval --request api/testdata/requests/upadacitinib-45mg-low-anc.json --as-of 2026-11-23
  labelguard eval --patient patient.json --order order.json --hook order-select --explain
  labelguard eval --bundle policies.tar.gz --bundle-public-key pub.pem --request req.json --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			ps, err := pf.load(ctx, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			at, err := asOf.time()
			if err != nil {
				return err
			}
			var c *call
			switch {
			case requestFile != "" && patientFile == "" && orderFile == "":
				data, err := os.ReadFile(requestFile)
				if err != nil {
					return fmt.Errorf("--request: %w", err)
				}
				c, err = requestCall(ps, data, serviceID)
				if err != nil {
					return fmt.Errorf("%s: %w", requestFile, err)
				}
			case requestFile == "" && patientFile != "" && orderFile != "":
				orders, err := os.ReadFile(orderFile)
				if err != nil {
					return fmt.Errorf("--order: %w", err)
				}
				if c, err = patientCall(ps, patientFile, orders, hook, serviceID); err != nil {
					return err
				}
			default:
				return errors.New("give --request FILE, or --patient BUNDLE and --order ORDER")
			}
			out, err := pipeline.Run(ctx, ps, c.service, c.req, c.hc, at)
			if err != nil {
				return err
			}
			return printEval(ctx, cmd.OutOrStdout(), ps, c.service, out, explain, asJSON)
		},
	}
	pf.register(cmd)
	pf.registerTerminology(cmd)
	asOf.register(cmd, "evaluation time")
	f := cmd.Flags()
	f.StringVar(&requestFile, "request", "", "CDS Hooks request file (JSON)")
	f.StringVar(&patientFile, "patient", "", "patient bundle (FHIR Bundle JSON with the Patient and their resources)")
	f.StringVar(&orderFile, "order", "", "draft order: a MedicationRequest (or a Bundle of draft orders)")
	f.StringVar(&hook, "hook", cdshooks.HookOrderSign, "hook of a --patient/--order call: order-sign or order-select")
	f.StringVar(&serviceID, "service", "", "service ID (default: the first service answering the hook)")
	f.BoolVar(&explain, "explain", false, "also print the policy input, the rules that fired with their evidence and why the others stayed silent")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// evalReport is eval's JSON output.
type evalReport struct {
	Revision string          `json:"revision"`
	Service  string          `json:"service"`
	Cards    []cdshooks.Card `json:"cards"`
	// NoOrderOfInterest: nothing in the request concerned the service.
	NoOrderOfInterest bool         `json:"noOrderOfInterest,omitempty"`
	Explain           *explanation `json:"explain,omitempty"`
}

type explanation struct {
	Input  *facts.Input     `json:"input,omitempty"`
	Fired  []engine.Finding `json:"fired"`
	Silent []silentRule     `json:"silent"`
	// NotForHook counts the catalog rules that do not run for this hook.
	NotForHook int `json:"notForHook"`
}

type silentRule struct {
	Rule   string `json:"rule"`
	Title  string `json:"title"`
	Reason string `json:"reason"`
}

func printEval(ctx context.Context, w io.Writer, ps *engine.PolicySet, svc engine.Service, out *pipeline.Outcome, explain, asJSON bool) error {
	rep := evalReport{Revision: ps.Revision, Service: svc.ID, Cards: out.Cards, NoOrderOfInterest: out.NoOrderOfInterest}
	if rep.Cards == nil {
		rep.Cards = []cdshooks.Card{}
	}
	if explain {
		ex, err := explainOutcome(ctx, ps, svc, out)
		if err != nil {
			return err
		}
		rep.Explain = ex
	}
	if asJSON {
		return writeJSON(w, rep)
	}
	fmt.Fprintf(w, "Policy revision %s, service %s: %d card(s)\n", rep.Revision, rep.Service, len(rep.Cards))
	if out.NoOrderOfInterest {
		fmt.Fprintln(w, "No order of interest: the service answers at once with no card.")
	}
	for _, c := range rep.Cards {
		printCard(w, c)
	}
	if ex := rep.Explain; ex != nil {
		fmt.Fprintln(w, "\n== Policy input (facts) ==")
		if ex.Input == nil {
			fmt.Fprintln(w, "(none: no input was derived)")
		} else if err := writeJSON(w, ex.Input); err != nil {
			return err
		}
		fmt.Fprintf(w, "\n== Rules that fired (%d) ==\n", len(ex.Fired))
		for _, f := range ex.Fired {
			fmt.Fprintf(w, "%s  %s  on %s\n", f.Rule, strings.ToUpper(f.Indicator), orNone(f.Order))
			for _, e := range f.Evidence {
				fmt.Fprintf(w, "    evidence: %s\n", evidenceText(e))
			}
			for _, fa := range f.Factors {
				fmt.Fprintf(w, "    factor %s: %s\n", fa.ID, fa.Display)
				for _, e := range fa.Evidence {
					fmt.Fprintf(w, "      evidence: %s\n", evidenceText(e))
				}
			}
		}
		fmt.Fprintf(w, "\n== Rules considered that stayed silent (%d; %d more do not run for this hook) ==\n", len(ex.Silent), ex.NotForHook)
		for _, s := range ex.Silent {
			fmt.Fprintf(w, "%-40s %s\n", s.Rule, s.Reason)
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(no order)"
	}
	return s
}

func printCard(w io.Writer, c cdshooks.Card) {
	fmt.Fprintf(w, "\n[%s] %s\n", strings.ToUpper(c.Indicator), c.Summary)
	if c.Detail != "" {
		for _, line := range strings.Split(strings.TrimSpace(c.Detail), "\n") {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
	src := c.Source.Label
	if c.Source.Topic != nil {
		src += " (rule " + c.Source.Topic.Code + ")"
	}
	fmt.Fprintf(w, "    Source: %s\n", src)
	for _, s := range c.Suggestions {
		rec := ""
		if s.IsRecommended {
			rec = " (recommended)"
		}
		fmt.Fprintf(w, "    Suggestion: %s%s\n", s.Label, rec)
	}
	for _, l := range c.Links {
		fmt.Fprintf(w, "    Link: %s <%s>\n", l.Label, l.URL)
	}
}

func evidenceText(e engine.Evidence) string {
	s := e.Reference
	if e.Display != "" {
		s = e.Display + " (" + e.Reference + ")"
	}
	if e.Value != nil {
		s += fmt.Sprintf(" = %v", e.Value)
		if e.Unit != "" {
			s += " " + e.Unit
		}
	}
	if e.Time != "" {
		s += " at " + e.Time
	}
	return s
}

// explainOutcome says what the rules saw, which fired and why the others
// stayed silent.
func explainOutcome(ctx context.Context, ps *engine.PolicySet, svc engine.Service, out *pipeline.Outcome) (*explanation, error) {
	ex := &explanation{Fired: out.Findings, Silent: []silentRule{}}
	if ex.Fired == nil {
		ex.Fired = []engine.Finding{}
	}
	if out.Input != nil {
		ex.Input = &out.Input.Input
	}
	fired := map[string]bool{}
	for _, f := range out.Findings {
		fired[f.Rule] = true
	}
	var raw any
	var in facts.Input
	if ex.Input != nil {
		in = *ex.Input
		b, err := json.Marshal(ex.Input)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, err
		}
	}
	targets := map[string]bool{}
	for _, o := range in.Orders {
		targets[o.Target] = true
	}
	for _, m := range in.Medications {
		targets[m.Target] = true
	}
	inSet := map[string]bool{}
	addSets := func(sets []string) {
		for _, s := range sets {
			inSet[s] = true
		}
	}
	for _, m := range in.Orders {
		addSets(m.ValueSets)
	}
	for _, m := range in.Medications {
		addSets(m.ValueSets)
	}
	for _, c := range in.Conditions {
		addSets(c.ValueSets)
	}
	for _, i := range in.Immunizations {
		addSets(i.ValueSets)
	}
	for _, a := range in.Allergies {
		addSets(a.ValueSets)
	}
	ruleFacts := ps.RuleFacts()
	for _, r := range ps.Rules() {
		if fired[r.ID] {
			continue
		}
		forHook := false
		for _, v := range r.Variants {
			if len(v.Hooks) == 0 || slices.Contains(v.Hooks, svc.Hook) {
				forHook = true
			}
		}
		if !forHook {
			ex.NotForHook++
			continue
		}
		s := silentRule{Rule: r.ID, Title: r.Title()}
		drugs := r.Drugs()
		switch {
		case r.Disabled:
			s.Reason = "switched off at this site (site parameters)"
		case out.Input == nil:
			s.Reason = "not evaluated: no order of interest"
		case len(drugs) > 0 && !slices.ContainsFunc(drugs, func(d string) bool { return targets[d] }):
			s.Reason = "not applicable: no order or active medication of " + strings.Join(drugs, ", ")
		default:
			s.Reason = silentReason(ctx, ps, raw, in, ruleFacts[r.ID], inSet)
		}
		ex.Silent = append(ex.Silent, s)
	}
	return ex, nil
}

// silentReason examines the facts a rule names: labs absent or outside
// their window, value sets with nothing on the record.
func silentReason(ctx context.Context, ps *engine.PolicySet, raw any, in facts.Input, rf engine.RuleFacts, inSet map[string]bool) string {
	var reasons, present []string
	for _, a := range rf.Analytes {
		lab, ok := in.Labs[a]
		if !ok {
			reasons = append(reasons, "no "+a+" result")
			continue
		}
		v, err := ps.Query(ctx, fmt.Sprintf("data.labelguard.lib.latest_lab(%q)", a), raw)
		if err != nil || v != nil {
			present = append(present, a)
			continue
		}
		window := ""
		if d, err := ps.Query(ctx, fmt.Sprintf("data.labelguard.lib.lab_window_days(%q)", a), raw); err == nil && d != nil {
			window = fmt.Sprintf(" %v-day", d)
		}
		reasons = append(reasons, fmt.Sprintf("%s result from %s is outside its%s window", a, lab.Time, window))
	}
	for _, vs := range rf.ValueSets {
		if inSet[vs] {
			present = append(present, "value set "+vs)
		} else {
			reasons = append(reasons, "nothing on the record in value set "+vs)
		}
	}
	if len(reasons) > 0 {
		return "facts it names are absent: " + strings.Join(reasons, "; ")
	}
	if len(present) > 0 {
		return "conditions not met (the facts it names are present: " + strings.Join(present, ", ") + ")"
	}
	return "conditions not met"
}
