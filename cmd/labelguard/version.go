package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// revision likewise (-X main.revision=<commit>) where the build has no VCS
// information, as in the Dockerfile.
var (
	version  = "dev"
	revision = ""
)

// buildRevision is the VCS revision the binary was built from: the linker
// setting, else the Go toolchain's vcs.revision (with "-dirty" for
// uncommitted changes), else "unknown" (a build outside a checkout).
func buildRevision() string {
	if revision != "" {
		return revision
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}

func versionString() string {
	v := version
	if rev := buildRevision(); len(rev) >= 12 {
		v += " (" + rev[:12] + ")"
	}
	return v + " " + runtime.Version()
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "labelguard", versionString())
			return err
		},
	}
}
