// Command labelguard is the labelguard CDS Hooks service and its tools.
//
//	labelguard serve      run the service
//	labelguard version    print the version
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "labelguard:", err)
		os.Exit(1)
	}
}
