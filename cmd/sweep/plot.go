package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/sweep-ml/sweep/pkg/report"
	"github.com/sweep-ml/sweep/pkg/store"
)

type plotOptions struct {
	db     string
	trials []string // ids or unique prefixes; none for the sweep's plots
	top    int
	dir    string
	format string
	force  bool
	out    io.Writer
}

func newPlotCmd() *cobra.Command {
	var opts plotOptions
	cmd := &cobra.Command{
		Use:   "plot [TRIAL...]",
		Short: "Draw a sweep's results and its trials' training curves as PNG or SVG files",
		Long: `Without arguments, draw the sweep: validation accuracy against lambda for every
trial (accuracy-vs-lambda), the validation curves of the --top best trials
overlaid (top-curves), each of those trials' own curves (trial-ID: cost,
loss and accuracy against the update step, and the learning rate), each
halving stage's validation accuracy against cycles with its rungs marked
(halving-STAGE), and for each range stage its accuracy and loss against the
learning rate with the derived eta_min and eta_max marked (lr-range-STAGE). With
TRIAL arguments (ids or unique prefixes), draw only those trials' curves.
Files go to the -o directory, created if missing; existing files are kept
unless --force.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.trials, opts.out = args, cmd.OutOrStdout()
			return runPlot(cmd.Context(), opts)
		},
	}
	addDBFlag(cmd, &opts.db)
	cmd.Flags().IntVar(&opts.top, "top", 5, "how many of the best trials to draw")
	cmd.Flags().StringVarP(&opts.dir, "output", "o", "plots", "directory for the image files")
	cmd.Flags().StringVar(&opts.format, "format", "png", "png or svg")
	cmd.Flags().BoolVar(&opts.force, "force", false, "overwrite existing files")
	return cmd
}

// plotFile is one image to write.
type plotFile struct {
	name string
	draw func(w io.Writer) error
}

func runPlot(ctx context.Context, opts plotOptions) error {
	if !slices.Contains(report.PlotFormats, opts.format) {
		return usageError{fmt.Errorf("--format must be png or svg, got %q", opts.format)}
	}
	if opts.top < 1 {
		return usageError{fmt.Errorf("--top must be at least 1, got %d", opts.top)}
	}
	if opts.dir == "-" {
		return usageError{errors.New(`plot writes one file per image: -o names a directory, and "-" (standard output) cannot hold several`)}
	}
	db, err := openForReading(opts.db)
	if err != nil {
		return err
	}
	defer db.Close()

	var files []plotFile
	var trials []store.Trial
	if len(opts.trials) > 0 {
		if trials, err = findTrials(ctx, db, opts.trials); err != nil {
			return err
		}
	} else {
		files = append(files,
			plotFile{"accuracy-vs-lambda", func(w io.Writer) error { return report.PlotSweep(ctx, w, opts.format, db) }},
			plotFile{"top-curves", func(w io.Writer) error { return report.PlotTop(ctx, w, opts.format, db, opts.top) }})
		halving, err := report.HalvingStages(db)
		if err != nil {
			return err
		}
		for _, name := range halving {
			files = append(files, plotFile{"halving-" + name, func(w io.Writer) error { return report.PlotHalving(ctx, w, opts.format, db, name) }})
		}
		ranges, err := report.RangeStages(db)
		if err != nil {
			return err
		}
		for _, rs := range ranges {
			files = append(files, plotFile{"lr-range-" + rs.Name, func(w io.Writer) error {
				h, err := db.History(rs.Trial.ID)
				if err != nil {
					return err
				}
				return report.PlotRange(w, opts.format, rs, h)
			}})
		}
		rows, err := report.Rank(ctx, db, report.Selection{Top: opts.top})
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.Status == store.Done {
				trials = append(trials, r.Trial)
			}
		}
	}
	for _, t := range trials {
		files = append(files, plotFile{"trial-" + report.ShortID(t.ID), func(w io.Writer) error {
			h, err := db.History(t.ID)
			if err != nil {
				return err
			}
			return report.PlotTrial(w, opts.format, t, h)
		}})
	}

	if err := os.MkdirAll(opts.dir, 0o755); err != nil {
		return err
	}
	// Refuse before drawing anything, so a refusal leaves no half set.
	for i := range files {
		files[i].name = filepath.Join(opts.dir, files[i].name+"."+opts.format)
		if _, err := os.Lstat(files[i].name); !opts.force && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s already exists; use --force to overwrite it", files[i].name)
		}
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := report.CreateFile(f.name, opts.force, f.draw); err != nil {
			return err
		}
		fmt.Fprintln(opts.out, f.name)
	}
	return nil
}

// findTrials resolves trial ids or unique id prefixes, in the order given,
// as show and export weights do.
func findTrials(ctx context.Context, db *store.DB, prefixes []string) ([]store.Trial, error) {
	out := make([]store.Trial, 0, len(prefixes))
	for _, p := range prefixes {
		t, err := report.FindTrial(ctx, db, p)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
