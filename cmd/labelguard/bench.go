package main

import (
	"github.com/spf13/cobra"

	"github.com/labelguard/labelguard/loadgen"
)

// newBenchCmd is `labelguard bench`, the load generator (docs/performance.md).
func newBenchCmd() *cobra.Command { return loadgen.Command() }
