package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sweep-ml/sweep/pkg/report"
)

type exportOptions struct {
	db     string
	format string
	stage  string
	trial  string
	output string
	force  bool
	out    io.Writer
}

func newExportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export training histories or a trial's weights for other tools",
		// Without a subcommand (or with an unknown one) this is a usage
		// error, not a help page that exits 0.
		Args: cobra.ArbitraryArgs,
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown export %q: export histories or export weights", args[0])}
			}
			return usageError{errors.New("export what? export histories or export weights")}
		},
	}
	cmd.AddCommand(newExportHistoriesCmd(), newExportWeightsCmd())
	return cmd
}

// addOutputFlags adds -o and --force. An export never overwrites a file
// unless told to, and never writes through a symbolic link.
func addOutputFlags(cmd *cobra.Command, opts *exportOptions, what string) {
	cmd.Flags().StringVarP(&opts.output, "output", "o", "", what+` ("-" for standard output)`)
	cmd.Flags().BoolVar(&opts.force, "force", false, "overwrite the -o file if it exists")
}

// writeOutput runs write on standard output when path is "" or "-" (the
// usual spelling of standard output), else on a new file at path, which
// appears whole or not at all.
func writeOutput(path string, force bool, stdout io.Writer, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(stdout)
	}
	return report.CreateFile(path, force, write)
}

func newExportHistoriesCmd() *cobra.Command {
	var opts exportOptions
	cmd := &cobra.Command{
		Use:   "histories",
		Short: "Export every trial's history in long form (CSV or JSON lines)",
		Long: `Export every trial's training history in long form, one row per trial and
record: trial id, stage, status, one column per parameter of the sweep, then
step, epoch, eta and the train/validation cost, loss and accuracy. Values that
are not numbers are empty cells in csv and null in jsonl; jsonl puts the
parameters in a "params" object. Output streams, so any number of trials
exports in constant memory.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out = cmd.OutOrStdout()
			return runExportHistories(cmd.Context(), opts)
		},
	}
	addDBFlag(cmd, &opts.db)
	cmd.Flags().StringVar(&opts.format, "format", "csv", "csv or jsonl")
	cmd.Flags().StringVar(&opts.stage, "stage", "", "only the trials this stage lists")
	addOutputFlags(cmd, &opts, "write to this file instead of standard output")
	return cmd
}

func runExportHistories(ctx context.Context, opts exportOptions) error {
	if !slices.Contains(report.HistoryFormats, opts.format) {
		return usageError{fmt.Errorf("--format must be one of %s, got %q", strings.Join(report.HistoryFormats, ", "), opts.format)}
	}
	db, err := openForReading(opts.db)
	if err != nil {
		return err
	}
	defer db.Close()
	return writeOutput(opts.output, opts.force, opts.out, func(w io.Writer) error {
		return report.WriteHistories(ctx, w, db, opts.format, opts.stage)
	})
}

func newExportWeightsCmd() *cobra.Command {
	var opts exportOptions
	cmd := &cobra.Command{
		Use:   "weights TRIAL -o FILE.npz",
		Short: "Export a trial's network and normalisation as a NumPy .npz file",
		Long: `Export a finished trial's network as a NumPy .npz archive of float64 arrays:
W1 (m x d), b1 (m), W2 (K x m), b2 (K), mean and std (d each: the input
normalisation used in training, in raw pixel units), one 0-d array
param_NAME per parameter, params_json and test_accuracy. With x = (pixels -
mean) / std, the scores are max(0, x W1^T + b1) W2^T + b2. TRIAL is an id
or a unique prefix of one.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.trial, opts.out = args[0], cmd.OutOrStdout()
			return runExportWeights(cmd.Context(), opts)
		},
	}
	addDBFlag(cmd, &opts.db)
	addOutputFlags(cmd, &opts, "the .npz file to write (required)")
	return cmd
}

func runExportWeights(ctx context.Context, opts exportOptions) error {
	if opts.output == "" {
		return usageError{fmt.Errorf("export weights needs -o FILE.npz")}
	}
	db, err := openForReading(opts.db)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := report.FindTrial(ctx, db, opts.trial)
	if err != nil {
		return err
	}
	w, err := db.Weights(t.ID)
	if err != nil {
		return fmt.Errorf("trial %s is %s and has no weights to export: %w", t.ID, t.Status, err)
	}
	return writeOutput(opts.output, opts.force, opts.out, func(out io.Writer) error { return report.WriteWeights(out, t, w) })
}
