package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/sweep-ml/sweep/pkg/report"
)

type showOptions struct {
	db    string
	trial string
	out   io.Writer
}

func newShowCmd() *cobra.Command {
	var opts showOptions
	cmd := &cobra.Command{
		Use:   "show TRIAL",
		Short: "Show one trial: parameters, timings, final metrics and history",
		Long: `Show everything stored about one trial: parameters, status, seed, timings,
kernel and precision, how its stage chose it, final train/validation/test
metrics, the error or divergence if any, and its training history. TRIAL is
an id or a prefix of exactly one id (as in the report's id column).`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.trial, opts.out = args[0], cmd.OutOrStdout()
			return runShow(cmd.Context(), opts)
		},
	}
	addDBFlag(cmd, &opts.db)
	return cmd
}

func runShow(ctx context.Context, opts showOptions) error {
	db, err := openForReading(opts.db)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := report.FindTrial(ctx, db, opts.trial)
	if err != nil {
		return err
	}
	return report.WriteTrial(opts.out, db, t)
}
