// Command labelguard is the labelguard CDS Hooks service and its tools.
//
//	labelguard serve      run the service
//	labelguard version    print the version
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cmd, err := newRootCmd().ExecuteContextC(ctx); err != nil {
		reportError(os.Stderr, cmd, err)
		os.Exit(1)
	}
}
