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
	ctx, stop := notifyContext()
	cmd, err := newRootCmd().ExecuteContextC(ctx)
	err = withSignal(ctx, err)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sweep: "+errorLine(err, cmd))
	}
	stop()
	os.Exit(exitCode(err))
}

// notifyContext is signal.NotifyContext whose cause says which signal
// cancelled it (a signalError), so that the exit code can. The first
// SIGINT or SIGTERM cancels the context: commands stop, and run stops
// dispatching and checkpoints its trials. A second one ends the process at
// once, without waiting for checkpoints.
func notifyContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		first := <-sigs
		cancel(signalError{first.(syscall.Signal)})
		second := <-sigs
		fmt.Fprintf(os.Stderr, "sweep: a second signal (%v); stopping at once, without waiting for checkpoints\n", second)
		os.Exit(exitCode(signalError{second.(syscall.Signal)}))
	}()
	return ctx, func() { signal.Stop(sigs); cancel(nil) }
}
