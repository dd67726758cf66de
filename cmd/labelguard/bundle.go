package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/policies"
)

func newBundleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bundle",
		Short: "Build, sign and verify OPA bundles of a policy set",
		Long: `A labelguard bundle is an ordinary OPA bundle (.tar.gz): a .manifest with the
revision and the single root "labelguard", the Rego modules (tests included,
so a server runs them before activating), and a data.json whose
data.labelguard.source holds the policy set's JSON files verbatim (so the
signature covers them). A server reads the files back and loads them exactly
as it loads a directory: one loading path. Any OPA bundle server, or an OCI
registry, can serve it; "serve --bundle-url" polls it.

Signatures (.signatures.json) use RS256 (RSA keys) or ES256 (EC P-256 keys),
as OPA's own "opa sign"; a server activates only bundles whose signature it
verifies with its --bundle-public-key.`,
	}
	cmd.AddCommand(newBundleBuildCmd(), newBundleSignCmd(), newBundleVerifyCmd())
	return cmd
}

func newBundleBuildCmd() *cobra.Command {
	var dir, revision, out, key, alg, keyID, scenarioDir string
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build a bundle of a policy directory",
		Long: `Build an OPA bundle of the policy directory --policies (default: the embedded
set). The set must load (compile, METADATA, data files) and pass what
"labelguard check" and "labelguard test" check (their errors, the Rego tests
and the scenarios of --scenarios DIR, by default <policies>/testdata/scenarios
when it exists; "-" runs none): a bundle a server would refuse, or that would
fail at run time, is not built. --revision defaults to the content hash the
service shows for a directory. With --signing-key the bundle is signed.`,
		Example: `  labelguard bundle build --policies ./policies --revision 2026.11.1 -o bundle.tar.gz --signing-key private.pem`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var fsys fs.FS = policies.FS
			if dir != "" {
				if st, err := os.Stat(dir); err != nil || !st.IsDir() {
					return fmt.Errorf("--policies %q is not a directory", dir)
				}
				fsys = os.DirFS(dir)
			}
			if out == "" {
				return errors.New("-o FILE is required")
			}
			if err := gatePolicySet(cmd.Context(), fsys, defaultScenarioDir(dir, scenarioDir)); err != nil {
				return fmt.Errorf("bundle not built: %w", err)
			}
			opts := engine.BuildOptions{Revision: revision, Algorithm: alg, KeyID: keyID}
			if key != "" {
				b, err := os.ReadFile(key)
				if err != nil {
					return fmt.Errorf("--signing-key: %w", err)
				}
				opts.SigningKey = b
			}
			var buf bytes.Buffer
			bi, err := engine.BuildBundle(cmd.Context(), &buf, fsys, opts)
			if err != nil {
				return err
			}
			if err := writeOut(out, buf.Bytes(), cmd.OutOrStdout()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "bundle %s: revision %s, %d files, signed: %v\n", out, bi.Revision, bi.Files, bi.Signed)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "policies", "", "policy directory (default: the embedded set)")
	f.StringVar(&revision, "revision", "", "manifest revision (default: the content hash)")
	f.StringVarP(&out, "output", "o", "", `output file ("-" for standard output)`)
	f.StringVar(&key, "signing-key", "", "PEM private key to sign with (RSA or EC P-256)")
	f.StringVar(&alg, "algorithm", "", "signature algorithm RS256 or ES256 (default: from the key)")
	f.StringVar(&keyID, "key-id", engine.DefaultBundleKeyID, "key ID in the signature")
	f.StringVar(&scenarioDir, "scenarios", "", `scenario directory (default <policies>/testdata/scenarios; "-" for none)`)
	return cmd
}

// gatePolicySet refuses a policy set that check finds errors in, or whose
// Rego tests or scenarios fail: what a server's reload refuses, refused
// before it is shipped.
func gatePolicySet(ctx context.Context, fsys fs.FS, scenarioDir string) error {
	rep, err := engine.Check(ctx, fsys)
	if err != nil {
		return err
	}
	var problems []string
	for _, p := range rep.Problems {
		if p.Severity != engine.SeverityWarning {
			problems = append(problems, p.String())
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("labelguard check found %d error(s):\n%s", len(problems), strings.Join(problems, "\n"))
	}
	ps, err := engine.Load(ctx, fsys, engine.Options{})
	if err != nil {
		return err
	}
	tr, err := runPolicyTests(ctx, ps, "", false, scenarioDir)
	if err != nil {
		return err
	}
	if len(tr.Problems) > 0 {
		return fmt.Errorf("labelguard test: %s", strings.Join(tr.Problems, "; "))
	}
	return nil
}

// defaultScenarioDir is --scenarios, else <policies>/testdata/scenarios
// when it exists; "-" is none.
func defaultScenarioDir(policyDir, flag string) string {
	switch {
	case flag == "-":
		return ""
	case flag != "":
		return flag
	case policyDir != "":
		if st, err := os.Stat(filepath.Join(policyDir, "testdata", "scenarios")); err == nil && st.IsDir() {
			return filepath.Join(policyDir, "testdata", "scenarios")
		}
	}
	return ""
}

func newBundleSignCmd() *cobra.Command {
	var key, alg, keyID, out string
	cmd := &cobra.Command{
		Use:   "sign BUNDLE",
		Short: "Sign a bundle (replacing any signature)",
		Long: `Sign the bundle BUNDLE with the PEM private key --key and write it to -o
(default: BUNDLE itself). Any existing signature is replaced.`,
		Example: `  labelguard bundle sign --key private.pem bundle.tar.gz`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if key == "" {
				return errors.New("--key is required")
			}
			k, err := os.ReadFile(key)
			if err != nil {
				return fmt.Errorf("--key: %w", err)
			}
			in, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			bi, err := engine.SignBundle(bytes.NewReader(in), &buf, k, alg, keyID)
			if err != nil {
				return err
			}
			if out == "" {
				out = args[0]
			}
			if err := writeOut(out, buf.Bytes(), cmd.OutOrStdout()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "bundle %s: revision %s signed\n", out, bi.Revision)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&key, "key", "", "PEM private key (RSA or EC P-256)")
	f.StringVar(&alg, "algorithm", "", "signature algorithm RS256 or ES256 (default: from the key)")
	f.StringVar(&keyID, "key-id", engine.DefaultBundleKeyID, "key ID in the signature")
	f.StringVarP(&out, "output", "o", "", "output file (default: overwrite BUNDLE)")
	return cmd
}

func newBundleVerifyCmd() *cobra.Command {
	var pub, keyID string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify BUNDLE",
		Short: "Verify a bundle's signature and that its policy set loads",
		Long:  `Verify BUNDLE's signature with --public-key and load its policy set, as a server would before activating it.`,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if pub == "" {
				return errors.New("--public-key is required")
			}
			k, err := os.ReadFile(pub)
			if err != nil {
				return fmt.Errorf("--public-key: %w", err)
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			ps, err := engine.LoadBundle(cmd.Context(), bytes.NewReader(data), engine.BundleOptions{PublicKey: k, KeyID: keyID})
			if err != nil {
				return err
			}
			res := map[string]any{"bundle": args[0], "revision": ps.Revision, "rules": len(ps.Catalog), "verified": true}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: signature verified, revision %s, %d rules\n", args[0], ps.Revision, len(ps.Catalog))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&pub, "public-key", "", "PEM public key")
	f.StringVar(&keyID, "key-id", engine.DefaultBundleKeyID, "expected key ID")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func writeOut(path string, data []byte, stdout io.Writer) error {
	if path == "-" {
		_, err := stdout.Write(data)
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
