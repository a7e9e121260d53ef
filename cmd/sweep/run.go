package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/search"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

type runOptions struct {
	config  string
	db      string
	workers int
	kernel  string
	plan    bool
	out     io.Writer
	errOut  io.Writer
}

func newRunCmd() *cobra.Command {
	var opts runOptions
	cmd := &cobra.Command{
		Use:   "run CONFIG",
		Short: "Run a config's search, resuming whatever an earlier run left unfinished",
		Long: `Run every stage of the config's search, training up to --workers trials at
once, and store everything in one database file (default: NAME.db in the
current directory, NAME from the config). Running the same command again
resumes: finished trials are kept, interrupted ones continue from their last
checkpoint, failed ones are retried.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.config = args[0]
			opts.out, opts.errOut = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.db, "db", "", "database file (default NAME.db, NAME from the config)")
	cmd.Flags().IntVar(&opts.workers, "workers", 0, "trials trained at once (default search.workers, else the number of CPUs)")
	cmd.Flags().BoolVar(&opts.plan, "plan", false, "print every stage's trials and whether each is stored, train nothing")
	cmd.Flags().StringVar(&opts.kernel, "kernel", "", kernelUsage())
	return cmd
}

func runRun(ctx context.Context, opts runOptions) error {
	if err := checkWorkers(opts.workers); err != nil {
		return err
	}
	if _, err := train.CheckKernel(opts.kernel); err != nil {
		return usageError{err}
	}
	cfg, err := config.Load(opts.config)
	if err != nil {
		return err
	}
	dbPath := opts.db
	if dbPath == "" {
		dbPath = cfg.Name + ".db"
	}
	if opts.plan {
		return runPlan(ctx, cfg, dbPath, opts.out)
	}
	return runSweep(ctx, cfg, dbPath, store.Options{Create: true}, search.RunOptions{Workers: opts.workers, Kernel: opts.kernel}, opts.out, opts.errOut)
}

// checkWorkers refuses a --workers outside 0..config.MaxWorkers; 0, the
// flag's default, takes search.workers or else the number of CPUs.
func checkWorkers(n int) error {
	if n < 0 || n > config.MaxWorkers {
		return usageError{fmt.Errorf("--workers must be between 0 and %d (0: search.workers, else the number of CPUs), got %d", config.MaxWorkers, n)}
	}
	return nil
}

// runSweep loads the data (before any database is created, so a config
// that cannot run leaves nothing behind), runs the sweep with ro's workers
// and kernel and prints its ranking.
func runSweep(ctx context.Context, cfg config.Config, dbPath string, open store.Options, ro search.RunOptions, out, errOut io.Writer) error {
	// An existing database is opened first, so that a second process learns
	// at once that a sweep is running instead of after loading the data. A
	// new one is created only once the config and the data are known good.
	var db *store.DB
	if _, err := os.Stat(dbPath); err == nil {
		if db, err = openForWriting(dbPath, store.Options{}); err != nil {
			return err
		}
		defer db.Close()
	}
	// Closed on every return: the live bars must leave the terminal clean
	// whichever way the sweep ends.
	progress := newProgress(errOut)
	defer progress.Close()
	ro.Observer = progress
	runner, err := search.NewRunner(ctx, cfg, ro)
	if err != nil {
		return err
	}
	setMemoryLimit(runner.Workers(), maxHidden(cfg), runner.BaseData().Prepared.D)
	if db == nil {
		if db, err = openForWriting(dbPath, open); err != nil {
			return err
		}
		defer db.Close()
	}
	if err := runner.Prepare(db); err != nil {
		return err
	}
	info := runner.BaseData().Info
	workers, workersTime := fmt.Sprintf("%d workers", runner.Workers()), fmt.Sprintf("%d workers'", runner.Workers())
	if runner.Workers() == 1 {
		workers, workersTime = "1 worker", "1 worker's"
	}
	fmt.Fprintf(errOut, "sweep %q: %s data (%d train / %d validation / %d test), %s, database %s\n",
		cfg.Name, info.Source, runner.BaseData().Prepared.NTrain(), runner.BaseData().Prepared.NVal(), info.Test.N, workers, db.Path())
	start := time.Now()
	runErr := runner.Run(ctx, db)
	progress.Close() // before the ranking is printed below the bars
	if runErr != nil {
		return runErr
	}
	if wall := time.Since(start).Seconds(); runner.Trained() > 0 {
		fmt.Fprintf(errOut, "sweep took %.1fs; writing the database %.2fs of worker time (%.1f%% of %s time)\n",
			wall, runner.StoreSeconds(), 100*runner.StoreSeconds()/(wall*float64(runner.Workers())), workersTime)
	}
	fmt.Fprintln(out)
	if err := writeRanking(ctx, out, db, reportOptions{top: rankingRows}); err != nil {
		return err
	}
	if n, err := trialCount(db); err == nil && n > rankingRows {
		fmt.Fprintf(out, "(the best %d of each ranking; sweep report lists all %d trials)\n", rankingRows, n)
	}
	fmt.Fprintf(out, "\ndatabase: %s\n", db.Path())
	return nil
}

// rankingRows is how many trials the ranking at the end of a run shows.
const rankingRows = 10

// trialCount is the number of trials a full report ranks: all but the
// promoted ones, which their continuations repeat.
func trialCount(db *store.DB) (int, error) {
	n := 0
	err := db.ForEachTrial(func(t store.Trial) error {
		if t.Status != store.Promoted {
			n++
		}
		return nil
	})
	return n, err
}

// openForWriting opens the database for run or resume; when another
// process holds it, the error says what to do instead.
func openForWriting(path string, opts store.Options) (*store.DB, error) {
	db, err := store.Open(path, opts)
	if errors.Is(err, store.ErrInUse) {
		return nil, fmt.Errorf("%w: %s; wait for that sweep to end, or watch it with \"sweep status\"", err, path)
	}
	return db, err
}
