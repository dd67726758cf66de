package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labelguard/labelguard/terminology"
)

func newTerminologyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "terminology",
		Short: "Import a site's RxNorm and NDC codes of the profiles' products",
		Long: `Orders are coded: RxNorm in US EHRs, NDC at the pharmacy, often with a text
that does not name the ingredient. No product code is shipped with the
policies (none can be verified offline), so a site imports its own from the
NLM RxNorm release and the FDA NDC Directory, and serves them with
"serve --terminology DIR" (and "eval --terminology DIR").`,
	}
	cmd.AddCommand(newTerminologyImportCmd())
	return cmd
}

func newTerminologyImportCmd() *cobra.Command {
	var pf policyFlags
	var rxnorm, ndcProducts, ndcPackages, out, note string
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Match RXNCONSO.RRF and the NDC Directory to the profile products",
		Long: `Read the NLM RxNorm release file RXNCONSO.RRF (rows with SAB=RXNORM and TTY
IN, BN, SCD or SBD) and the FDA NDC Directory's product file (and package
file), keep the rows that name an ingredient of the policy set's drug
profiles, match each to a profile product by ingredient, strength, dose
form (extended, delayed or immediate release) and route, and write
DIR/terminology.json, which "serve --terminology DIR" loads. Oral ruxolitinib (Jakafi) is kept as no
target, so that an order coded as it is never read as the cream.

The report (printed, and written to DIR/import-report.txt) lists the codes
of a target that match no profile product (they are recognised as the drug,
with the strength their name states), the codes of no target, and the rows
left out with why. Where a site gets the files: README, "Drugs coded by
RxNorm or NDC".`,
		Example: `  labelguard terminology import --rxnorm rrf/RXNCONSO.RRF --ndc-products product.txt --ndc-packages package.txt --out /etc/labelguard/terminology`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTerminologyImport(cmd.Context(), pf, rxnorm, ndcProducts, ndcPackages, out, note, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	pf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&rxnorm, "rxnorm", "", "RXNCONSO.RRF of the NLM RxNorm release (|-separated)")
	f.StringVar(&ndcProducts, "ndc-products", "", "product.txt of the FDA NDC Directory (tab-separated)")
	f.StringVar(&ndcPackages, "ndc-packages", "", "package.txt of the FDA NDC Directory (optional)")
	f.StringVar(&out, "out", "", "directory to write terminology.json and import-report.txt to (created)")
	f.StringVar(&note, "note", "", "a note stored with the terminology (its source, or \"synthetic\")")
	return cmd
}

func runTerminologyImport(ctx context.Context, pf policyFlags, rxnorm, ndcProducts, ndcPackages, out, note string, stdout, stderr io.Writer) error {
	if out == "" {
		return errors.New("--out DIR is required")
	}
	if rxnorm == "" && ndcProducts == "" {
		return errors.New("--rxnorm or --ndc-products is required")
	}
	if ndcPackages != "" && ndcProducts == "" {
		return errors.New("--ndc-packages needs --ndc-products (a package is matched through its product)")
	}
	ps, err := pf.load(ctx, stderr)
	if err != nil {
		return err
	}
	var src terminology.ImportSources
	sources := map[string]string{}
	read := func(flag, path string, parse func(io.Reader) error) error {
		if path == "" {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("--%s: %w", flag, err)
		}
		defer f.Close()
		if err := parse(f); err != nil {
			return fmt.Errorf("--%s %s: %w", flag, path, err)
		}
		sources[flag] = filepath.Base(path)
		return nil
	}
	if err := read("rxnorm", rxnorm, func(r io.Reader) (err error) { src.RxNorm, err = terminology.ParseRRF(r); return }); err != nil {
		return err
	}
	if err := read("ndc-products", ndcProducts, func(r io.Reader) (err error) { src.NDCProducts, err = terminology.ParseNDCProducts(r); return }); err != nil {
		return err
	}
	if err := read("ndc-packages", ndcPackages, func(r io.Reader) (err error) { src.NDCPackages, err = terminology.ParseNDCPackages(r); return }); err != nil {
		return err
	}
	site, rep, err := terminology.Import(ps.ImportProfiles(), src)
	if err != nil {
		return err
	}
	site.Note, site.Sources = note, sources
	if len(site.Codes) == 0 {
		return errors.New("no row of the files names an ingredient of the profiles: nothing to import (are they the right files?)")
	}
	data, err := json.MarshalIndent(site, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	// What is written must load: check it as serve will.
	if _, err := terminology.ParseSite(filepath.Join(out, terminology.SiteFile), data); err != nil {
		return fmt.Errorf("the imported terminology does not load: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	var report strings.Builder
	writeImportReport(&report, site, rep)
	if err := os.WriteFile(filepath.Join(out, terminology.SiteFile), data, 0o644); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := os.WriteFile(filepath.Join(out, "import-report.txt"), []byte(report.String()), 0o644); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	_, err = io.WriteString(stdout, report.String())
	return err
}

func writeImportReport(w io.Writer, site *terminology.Site, rep *terminology.ImportReport) {
	fmt.Fprintf(w, "%d codes written: %d matched to a profile product, %d of a target without a product, %d of no target; %d rows left out\n",
		len(site.Codes), rep.Matched, len(rep.Unmatched), len(rep.NotTargets), len(rep.Skipped))
	for _, sec := range []struct {
		title string
		lines []string
	}{
		{"Not matched to a profile product (recognised as the drug, strength from the code's name)", rep.Unmatched},
		{"No target (kept so that such an order is never read as a target)", rep.NotTargets},
		{"Left out", rep.Skipped},
	} {
		if len(sec.lines) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", sec.title)
		for _, l := range sec.lines {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}
