// Command lgbench is `labelguard bench` as a standalone binary, for running
// the load generator without the service's command tree.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/labelguard/labelguard/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cmd := loadgen.Command()
	cmd.Use = "lgbench"
	if err := cmd.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "lgbench:", err)
		os.Exit(1)
	}
}
