package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/sweep-ml/sweep/pkg/report"
	"github.com/sweep-ml/sweep/pkg/store"
)

type reportOptions struct {
	db     string
	stage  string
	top    int
	format string
	out    io.Writer
}

func newReportCmd() *cobra.Command {
	var opts reportOptions
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Rank a sweep's trials, best validation accuracy first",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out = cmd.OutOrStdout()
			return runReport(cmd.Context(), opts)
		},
	}
	addDBFlag(cmd, &opts.db)
	cmd.Flags().StringVar(&opts.stage, "stage", "", "only the trials of this stage")
	cmd.Flags().IntVar(&opts.top, "top", 0, "only the first N trials")
	cmd.Flags().StringVar(&opts.format, "format", "table", "table or json")
	return cmd
}

func runReport(_ context.Context, opts reportOptions) error {
	if opts.format != "table" && opts.format != "json" {
		return usageError{fmt.Errorf("--format must be table or json, got %q", opts.format)}
	}
	if opts.top < 0 {
		return usageError{fmt.Errorf("--top must be at least 0, got %d", opts.top)}
	}
	db, err := openForReading(opts.db)
	if err != nil {
		return err
	}
	defer db.Close()
	return writeRanking(opts.out, db, opts)
}

func writeRanking(w io.Writer, db *store.DB, opts reportOptions) error {
	rows, err := report.Rank(db, report.Selection{Stage: opts.stage, Top: opts.top})
	if err != nil {
		return err
	}
	if opts.format == "json" {
		return report.WriteJSON(w, rows)
	}
	return report.WriteTable(w, rows)
}

// openForReading opens a sweep database for a read command. A running sweep
// holds the lock; the user is pointed at `sweep status`, which works then.
func openForReading(flag string) (*store.DB, error) {
	path, err := findDB(flag)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		if errorsIsInUse(err) {
			return nil, fmt.Errorf("%w; a sweep is running on %s: wait for it, or use \"sweep status\"", err, path)
		}
		return nil, err
	}
	return db, nil
}
