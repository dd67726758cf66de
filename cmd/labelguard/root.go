package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// envPrefix names the environment variables that set flags:
// --max-body-bytes is LABELGUARD_MAX_BODY_BYTES.
const envPrefix = "LABELGUARD_"

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "labelguard",
		Short: "Clinical decision support for JAK inhibitor orders over CDS Hooks",
		Long: `labelguard checks orders for JAK inhibitors used in atopic dermatitis
(upadacitinib, abrocitinib, baricitinib, ruxolitinib cream) against rules
derived from the product labels and the IEC 2024 consensus, and answers
CDS Hooks 2.0 calls with cards.

Every flag can also be set with an environment variable LABELGUARD_<FLAG>,
upper case with dashes as underscores, or in a YAML file given with
--config whose keys are the flag names. Precedence: command line, then
environment, then file, then default.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return applySettings(cmd.Flags())
		},
	}
	root.AddCommand(newServeCmd(), newEvalCmd(), newTestCmd(), newCheckCmd(), newDiffCmd(), newBundleCmd(),
		newRulesCmd(), newReviewCmd(), newReportCmd(), newConformanceCmd(), newBenchCmd(), newVersionCmd(), newTerminologyCmd())
	return root
}

// applySettings fills the flags the command line left alone, first from the
// environment, then from the YAML file named by --config (or
// LABELGUARD_CONFIG): flag, environment, file, default.
func applySettings(fs *pflag.FlagSet) error {
	if err := applyEnv(fs); err != nil {
		return err
	}
	f := fs.Lookup("config")
	if f == nil || f.Value.String() == "" {
		return nil
	}
	return applyConfigFile(fs, f.Value.String())
}

// applyEnv sets every flag the command line left alone from its
// environment variable, so the precedence is flag, then environment, then
// default.
func applyEnv(fs *pflag.FlagSet) error {
	var errs []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		name := envName(f.Name)
		v, ok := os.LookupEnv(name)
		if !ok {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", name, err))
		}
	})
	if len(errs) > 0 {
		return fmt.Errorf("invalid environment: %s", strings.Join(errs, "; "))
	}
	return nil
}

func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}
