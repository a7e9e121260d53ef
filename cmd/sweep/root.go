package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit codes, as in restic: 1 for a failure, 2 for a command line that does
// not parse, 128 + the signal's number when a signal stopped the command
// (130 for SIGINT, 143 for SIGTERM).
const (
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 128 + int(syscall.SIGINT)
	exitTerminated  = 128 + int(syscall.SIGTERM)
)

// signalError is the cause of a context cancelled by a signal.
type signalError struct{ sig syscall.Signal }

func (e signalError) Error() string {
	if e.sig == syscall.SIGTERM {
		return "terminated"
	}
	return "interrupted"
}

// withSignal is err as main reports it once the command has returned: if
// a signal cancelled ctx, the signal decides the exit code, whether the
// command noticed (returning ctx's error), failed otherwise on its way out,
// or finished anyway.
func withSignal(ctx context.Context, err error) error {
	var sig signalError
	if !errors.As(context.Cause(ctx), &sig) {
		return err
	}
	if err == nil || errors.Is(err, context.Canceled) {
		return sig
	}
	return fmt.Errorf("%w (%w)", err, sig)
}

// usageError marks an error in the command line itself.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "sweep",
		Short: "Resumable, parallel hyperparameter searches over small neural networks",
		Long: `sweep trains two-layer networks (ReLU, softmax, cross-entropy + L2) with
cyclical learning rates over a search space declared in a YAML file, keeps every
trial's history, checkpoints and weights in one bbolt file, and resumes a killed
search exactly where it stopped.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{flagError(err)} })
	root.AddCommand(newTrainCmd(), newRunCmd(), newResumeCmd(), newWorkerCmd(), newStatusCmd(), newReportCmd(), newInitCmd(), newPlotCmd(), newShowCmd(), newExportCmd(), newVersionCmd())
	root.Version = "-" // any value makes cobra add --version; the template prints it
	cobra.AddTemplateFunc("versionText", versionText)
	root.SetVersionTemplate("{{versionText}}")
	return root
}

// exactArgs is cobra.ExactArgs reporting a usage error that shows the
// command's usage line, so the user sees what the arguments should be.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		want := fmt.Sprintf("%d arguments", n)
		switch n {
		case 0:
			want = "no arguments"
		case 1:
			want = "1 argument"
		}
		hint := ""
		if n == 0 && cmd.Flags().Lookup("db") != nil {
			hint = "; name a database with --db"
		}
		return usageError{fmt.Errorf("%s takes %s, got %d (usage: %s)%s", cmd.Name(), want, len(args), cmd.UseLine(), hint)}
	}
}

func exitCode(err error) int {
	var ue usageError
	var sig signalError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &sig):
		return 128 + int(sig.sig)
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &ue), strings.HasPrefix(err.Error(), "unknown command"), strings.HasPrefix(err.Error(), "unknown flag"):
		return exitUsage
	}
	return exitFailure
}

// errorLine renders err, the error of command cmd, as one line: wrapped
// causes can carry newlines (a joined error, a YAML message) and a user
// should see one clear sentence.
func errorLine(err error, cmd *cobra.Command) string {
	// Only a bare interruption (withSignal's, nothing else failed) reads
	// as one; a failure on the way out keeps its own message.
	if sig, ok := err.(signalError); ok {
		if cmd != nil && (cmd.Name() == "run" || cmd.Name() == "resume") {
			return sig.Error() + "; run the same command again to resume"
		}
		return sig.Error()
	}
	msg := err.Error()
	// cobra lists suggestions for a mistyped command on lines of their own.
	if head, names, ok := strings.Cut(msg, "\n\nDid you mean this?\n"); ok {
		msg = fmt.Sprintf("%s (did you mean %s?)", head, strings.Join(strings.Fields(names), " or "))
	}
	var parts []string
	for _, line := range strings.Split(msg, "\n") {
		if line = strings.Join(strings.Fields(line), " "); line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, "; ")
}

// flagError rewrites pflag's report of a number that does not parse
// ("strconv.ParseFloat: parsing ...: invalid syntax") as what the flag
// expected.
func flagError(err error) error {
	var bad *pflag.InvalidValueError
	var num *strconv.NumError
	if !errors.As(err, &bad) || !errors.As(err, &num) {
		return err
	}
	want := "a number"
	switch num.Func {
	case "ParseInt", "ParseUint", "Atoi":
		want = "an integer"
	case "ParseBool":
		want = "true or false"
	}
	if errors.Is(num.Err, strconv.ErrRange) {
		return fmt.Errorf("--%s %q: out of range, expected %s that fits", bad.GetFlag().Name, bad.GetValue(), want)
	}
	return fmt.Errorf("--%s %q: expected %s", bad.GetFlag().Name, bad.GetValue(), want)
}
