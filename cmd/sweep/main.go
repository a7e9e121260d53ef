// Command sweep runs resumable, parallel hyperparameter searches over small
// two-layer networks and reports their results.
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
	// After the first signal the default handling comes back, so a second
	// Ctrl-C ends the process at once instead of waiting for checkpoints.
	go func() { <-ctx.Done(); stop() }()
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sweep: "+errorLine(err))
	}
	os.Exit(exitCode(err))
}
