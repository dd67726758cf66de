package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/labelguard/labelguard/conformance"
)

type conformanceConfig struct {
	url, tokenKey, issuer, kid, origin string
	jsonOut                            bool
	timeout                            time.Duration
	hugeBody                           int64
}

// newConformanceCmd checks a running instance against the black-box CDS
// Hooks requirements (package conformance) and prints a pass/fail table.
func newConformanceCmd() *cobra.Command {
	cfg := conformanceConfig{}
	cmd := &cobra.Command{
		Use:   "conformance --url https://cds.example.org",
		Short: "Check a running instance against the CDS Hooks black-box requirements",
		Long: `Check a running labelguard instance over HTTP: discovery, a minimal call
of every service, {"cards": []} when there is nothing to say, 400, 404, 412
and 413 answers, CORS preflight, feedback, authentication and the absence of
null or empty JSON values. docs/conformance.md lists the requirements.

With --token-key (a PEM private key whose public key the instance trusts
for --issuer, published under --kid) every call carries a signed JWT and the
token checks run; without it, checks the instance refuses with 401 are
skipped. The exit status is non-zero when a check fails.

The calls are kept out of the instance's decision audit: flag --issuer
"conformance": true in the instance's trusted-issuers file (without
authentication, the X-Labelguard-Conformance header every call carries is
enough). With authentication, list --origin in the instance's
--cors-origins for the CORS check.`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConformance(cmd, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.url, "url", "", "the instance's public base URL (the JWT aud is this URL + endpoint path)")
	f.StringVar(&cfg.tokenKey, "token-key", "", "PEM private key to sign CDS client JWTs with (EC P-256/384/521 or RSA)")
	f.StringVar(&cfg.issuer, "issuer", "", "iss of the signed JWTs: a trusted issuer of the instance")
	f.StringVar(&cfg.kid, "kid", "", "kid of the signing key in the issuer's JWK Set")
	f.StringVar(&cfg.origin, "origin", "https://sandbox.cds-hooks.org", "browser origin of the CORS checks")
	f.BoolVar(&cfg.jsonOut, "json", false, "print the results as JSON")
	f.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "timeout of each HTTP request")
	f.Int64Var(&cfg.hugeBody, "huge-body-bytes", 16<<20, "body size of the 413 check (above the instance's --max-body-bytes)")
	return cmd
}

func runConformance(cmd *cobra.Command, cfg conformanceConfig) error {
	if cfg.url == "" {
		return errors.New("--url is required")
	}
	if !strings.HasPrefix(cfg.url, "http://") && !strings.HasPrefix(cfg.url, "https://") {
		return fmt.Errorf("--url %q: want an http or https URL", cfg.url)
	}
	rc := conformance.Config{
		BaseURL:       cfg.url,
		HTTPClient:    &http.Client{Timeout: cfg.timeout},
		Origin:        cfg.origin,
		HugeBodyBytes: cfg.hugeBody,
	}
	if cfg.tokenKey != "" {
		pemBytes, err := os.ReadFile(cfg.tokenKey)
		if err != nil {
			return err
		}
		key, err := conformance.ParsePrivateKey(pemBytes)
		if err != nil {
			return fmt.Errorf("--token-key: %w", err)
		}
		if rc.Token, err = conformance.Signer(key, cfg.issuer, cfg.kid); err != nil {
			return fmt.Errorf("--token-key: %w (give --issuer and --kid)", err)
		}
	}
	results := conformance.Run(cmd.Context(), rc)
	out := cmd.OutOrStdout()
	if cfg.jsonOut {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	} else if err := printResults(out, results); err != nil {
		return err
	}
	if conformance.Failed(results) {
		n := 0
		for _, r := range results {
			if r.Status == conformance.Fail {
				n++
			}
		}
		return fmt.Errorf("%d of %d conformance checks failed", n, len(results))
	}
	return nil
}

func printResults(w io.Writer, results []conformance.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tCHECK\tREQUIREMENTS\tWHAT\tDETAIL")
	counts := map[string]int{}
	for _, r := range results {
		counts[r.Status]++
		reqs := strings.Join(r.Requirements, ",")
		if len(reqs) > 40 {
			reqs = reqs[:39] + "…"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", strings.ToUpper(r.Status), r.Check, reqs, r.Title, r.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d passed, %d failed, %d skipped\n", counts[conformance.Pass], counts[conformance.Fail], counts[conformance.Skip])
	return err
}
