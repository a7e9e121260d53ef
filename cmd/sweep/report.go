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
	"github.com/sweep-ml/sweep/pkg/store"
)

type reportOptions struct {
	db         string
	stage      string
	status     string
	sort       string
	top        int
	format     string
	groupSeeds bool
	output     string
	force      bool
	out        io.Writer
}

var reportFormats = []string{"table", "json", "csv", "markdown", "html"}

func newReportCmd() *cobra.Command {
	var opts reportOptions
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Rank a sweep's trials, best validation accuracy first",
		Long: `Rank a sweep's trials, best validation accuracy first (ties: lower
validation cost), trials that are not done after the done ones.

--sort orders by another key instead: val_accuracy, train_accuracy and
test_accuracy sort descending (best first); val_cost, val_loss, seconds and
parameters (lambda, or any searched setting) sort ascending. Missing values
and NaN come last; ties keep the ranking order.

The table and markdown forms are for people (lambda in scientific notation,
accuracies as percentages) and start with a summary of the sweep. csv and
json keep raw numbers: a value that is missing or not a number is an empty
cell in csv and null in json.

--format html writes one self-contained page for the whole sweep (no
network needed to view it): the summary, the ranking (click a column to
sort, a row to see its curves) and the accuracy-vs-lambda and learning-curve
plots. Use it with -o report.html.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out = cmd.OutOrStdout()
			return runReport(cmd.Context(), opts)
		},
	}
	addDBFlag(cmd, &opts.db)
	f := cmd.Flags()
	f.StringVar(&opts.stage, "stage", "", "only the trials this stage lists")
	f.StringVar(&opts.status, "status", "", "only trials with this status: done, pruned, promoted, diverged, failed, running or pending (promoted ones are left out otherwise)")
	f.StringVar(&opts.sort, "sort", "val_accuracy", "sort key: accuracies descending; val_cost, val_loss, seconds, lambda or a parameter name ascending")
	f.IntVar(&opts.top, "top", 0, "only the first N rows (of the ranking and of each stage ranked apart)")
	f.StringVar(&opts.format, "format", "table", "table, markdown, csv, json or html")
	f.BoolVar(&opts.groupSeeds, "group-seeds", false, "one row per configuration: mean and standard deviation over its seeds")
	f.StringVarP(&opts.output, "output", "o", "", `write to this file instead of standard output ("-" for standard output)`)
	f.BoolVar(&opts.force, "force", false, "overwrite the -o file if it exists")
	return cmd
}

func runReport(ctx context.Context, opts reportOptions) error {
	if !slices.Contains(reportFormats, opts.format) {
		return usageError{fmt.Errorf("--format must be one of %s, got %q", strings.Join(reportFormats, ", "), opts.format)}
	}
	if opts.top < 0 {
		return usageError{fmt.Errorf("--top must be at least 0, got %d", opts.top)}
	}
	if err := checkStatus(opts.status); err != nil {
		return err
	}
	if opts.format == "html" && (opts.stage != "" || opts.status != "" || opts.groupSeeds || opts.top != 0 || opts.sort != "val_accuracy") {
		return usageError{errors.New("--format html shows the whole sweep (sort it in the page); --stage, --status, --sort, --top and --group-seeds do not apply")}
	}
	db, err := openForReading(opts.db)
	if err != nil {
		return err
	}
	defer db.Close()
	return writeOutput(opts.output, opts.force, opts.out, func(w io.Writer) error { return writeRanking(ctx, w, db, opts) })
}

func checkStatus(s string) error {
	if s == "" || slices.Contains(store.Statuses, store.Status(s)) {
		return nil
	}
	names := make([]string, len(store.Statuses))
	for i, st := range store.Statuses {
		names[i] = string(st)
	}
	return usageError{fmt.Errorf("--status must be one of %s; got %q", strings.Join(names, ", "), s)}
}

// writeRanking writes the ranking in opts.format ("" is table).
func writeRanking(ctx context.Context, w io.Writer, db *store.DB, opts reportOptions) error {
	if opts.format == "html" {
		return report.WriteHTML(ctx, w, db, report.HTMLOptions{})
	}
	rows, err := report.Rank(ctx, db, report.Selection{
		Stage: opts.stage, Status: store.Status(opts.status), Sort: opts.sort, GroupSeeds: opts.groupSeeds, Top: opts.top,
	})
	if errors.Is(err, report.ErrSortKey) {
		return usageError{fmt.Errorf("--sort: %w", err)}
	}
	if err != nil {
		return err
	}
	switch opts.format {
	case "json":
		return report.WriteJSON(w, rows)
	case "csv":
		return report.WriteCSV(w, rows)
	}
	sum, err := report.Summarize(ctx, db)
	if err != nil {
		return err
	}
	if opts.format == "markdown" {
		return report.WriteMarkdown(w, sum, rows)
	}
	if err := report.WriteHeader(w, sum); err != nil {
		return err
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
		if errors.Is(err, store.ErrInUse) {
			return nil, fmt.Errorf("%w; a sweep is running on %s: wait for it, or use \"sweep status\"", err, path)
		}
		return nil, err
	}
	return db, nil
}
