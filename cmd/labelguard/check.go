package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
)

func newCheckCmd() *cobra.Command {
	var (
		dir, siteParams     string
		fix, strict, asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Compile strictly, check formatting and lint a policy set",
		Long: `Check a policy directory (--policies, default the embedded set) and report
every problem, not only the first:

  parse           every module parses as Rego v1
  builtin         no call to a builtin the sandbox denies (http.send,
                  net.lookup_ip_addr, opa.runtime, time.now_ns, rand.intn,
                  uuid.rfc4122), with the reason
  compile         the modules, tests included, compile in strict mode
                  (unused variables and imports, ...) under the serving
                  capabilities
  format          every module is formatted as "opa fmt" formats it
                  (--fix rewrites the files)
  metadata        every rule that yields a card has METADATA with title,
                  custom.id, indicator and source, and a topic it cites is
                  in the profile of each of its drugs
  rule-id         rule IDs are unique per variant set: two variants of an ID
                  with the same drugs and hooks are an error; a variant that
                  an earlier one always wins over is a warning; a finding
                  that names another rule ID than its METADATA's (a typo) or
                  an indicator its METADATA does not allow is an error (at
                  run time it would be dropped)
  summary-length  a "summary" that is a string literal fits 140 characters;
                  for sprintf with a literal format, the format without its
                  verbs does (values are only known at run time: the
                  scenario tests of "labelguard test" check real cards)
  valueset        every literal value set ID passed to a function that looks
                  value sets up (lib.in_valueset, lib.active_meds_in, ...:
                  found by following parameters into
                  data.labelguard.valuesets) or used as
                  data.labelguard.valuesets["..."] names a loaded ValueSet
  reach           every rule package has package METADATA (hooks, drugs)
                  naming a hook a service serves and target drugs, and its
                  rules' drugs and hooks are its own: else it never runs
  lookup          in a rule several drugs share, a map keyed by drug name
                  has every drug of the rule, and each topic it cites is in
                  every drug's profile (else the rule never fires for that
                  drug); looking one drug up by name there is a warning
  params          every site parameter a policy reads is in
                  schema/site-params.schema.json; with --site-params FILE,
                  the site's file holds to it
  data            services.json and the data files load; data/params.json
                  and the profiles hold to their schemas (file, line, key)

It also notes, without failing, where the rules read which hook asks
(input.hook, input.service, an order's selected flag): such a set is not
cross-hook, and an order-sign is evaluated again after its order-select.

Exits non-zero on any error (and on warnings with --strict).`,
		Example: `  labelguard check --policies ./policies
  labelguard check --policies ./policies --fix`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var fsys fs.FS = policies.FS
			if dir != "" {
				if st, err := os.Stat(dir); err != nil || !st.IsDir() {
					return fmt.Errorf("--policies %q is not a directory", dir)
				}
				fsys = os.DirFS(dir)
			} else if fix {
				return fmt.Errorf("--fix needs --policies DIR")
			}
			rep, err := engine.Check(cmd.Context(), fsys)
			if err != nil {
				return err
			}
			if siteParams != "" {
				data, err := os.ReadFile(siteParams)
				if err != nil {
					return fmt.Errorf("--site-params: %w", err)
				}
				rep.Problems = append(rep.Problems, engine.CheckSiteParams(fsys, data, siteParams)...)
			}
			if fix {
				kept := rep.Problems[:0]
				for _, p := range rep.Problems {
					if p.Check == engine.CheckFormat {
						if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(p.File)), rep.Unformatted[p.File], 0o644); err != nil {
							return fmt.Errorf("--fix: %w", err)
						}
						fmt.Fprintf(cmd.ErrOrStderr(), "formatted %s\n", p.File)
						continue
					}
					kept = append(kept, p)
				}
				rep.Problems = kept
			}
			if rep.Problems == nil {
				rep.Problems = []engine.Problem{}
			}
			errs, warns := 0, 0
			for _, p := range rep.Problems {
				if p.Severity == engine.SeverityWarning {
					warns++
				} else {
					errs++
				}
			}
			w := cmd.OutOrStdout()
			if asJSON {
				if err := writeJSON(w, rep); err != nil {
					return err
				}
			} else {
				for _, p := range rep.Problems {
					fmt.Fprintln(w, p.String())
				}
				if rep.HookBound != "" {
					fmt.Fprintf(w, "note: %s: the rules read which hook asks, so an order-sign is evaluated again after its order-select (slower, not wrong; docs/policy-input.md)\n", rep.HookBound)
				}
				for _, r := range rep.IndirectInputReads {
					fmt.Fprintf(w, "note: %s, so its calls are evaluated with it and an edit of it is evaluated again (slower, not wrong; docs/policy-input.md)\n", r)
				}
				fmt.Fprintf(w, "%d modules, %d rules, %d summaries and %d value set references checked: %d error(s), %d warning(s)\n",
					rep.Modules, rep.Rules, rep.SummariesChecked, rep.ValueSetRefs, errs, warns)
			}
			if errs > 0 || (strict && warns > 0) {
				return fmt.Errorf("check failed: %d error(s), %d warning(s)", errs, warns)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "policies", "", "policy directory (default: the embedded set)")
	f.BoolVar(&fix, "fix", false, "rewrite unformatted modules as opa fmt would")
	f.StringVar(&siteParams, "site-params", "", "also check a site parameters file against the policy set's schema")
	f.BoolVar(&strict, "strict", false, "fail on warnings too")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
