package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/distributed"
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
	nats    natsOptions
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
			opts.nats.noteGiven(cmd)
			return runRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.db, "db", "", "database file (default NAME.db, NAME from the config)")
	cmd.Flags().IntVar(&opts.workers, "workers", 0, "trials trained at once (default search.workers, else the number of CPUs)")
	cmd.Flags().BoolVar(&opts.plan, "plan", false, "print every stage's trials and whether each is stored, train nothing")
	cmd.Flags().StringVar(&opts.kernel, "kernel", "", kernelUsage())
	addNATSFlags(cmd, &opts.nats, true)
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
	return runSweep(ctx, cfg, dbPath, store.Options{Create: true}, search.RunOptions{Workers: opts.workers, Kernel: opts.kernel}, opts.nats, opts.out, opts.errOut)
}

// checkNATS checks the --nats flags before anything is loaded.
func checkNATS(o natsOptions) error {
	if o.url == "" {
		switch {
		case o.urlGiven:
			return usageError{fmt.Errorf("--nats is empty; give a server URL (nats://host:4222) or embedded[:ADDR], or leave the flag out to train here")}
		case o.ackWaitGiven:
			return usageError{fmt.Errorf("--ack-wait needs --nats")}
		}
		for _, f := range []string{o.creds, o.token, o.tlsCA, o.tlsCert, o.tlsKey} {
			if f != "" {
				return usageError{fmt.Errorf("--nats-creds, --nats-token and --nats-tls-* need --nats")}
			}
		}
		return nil
	}
	if o.ackWait < time.Second {
		return usageError{fmt.Errorf("--ack-wait must be at least 1s, got %s", o.ackWait)}
	}
	_, embedded, err := distributed.ParseEmbedded(o.url)
	switch {
	case err != nil:
		return usageError{err}
	case embedded && (o.creds != "" || o.tlsCA != "" || o.tlsCert != "" || o.tlsKey != ""):
		return usageError{fmt.Errorf("--nats embedded authenticates by token only; --nats-creds and --nats-tls-* are for an external server")}
	case !embedded:
		if err := o.conn("", nil).Check(); err != nil {
			return usageError{err}
		}
	}
	return nil
}

// coordination is a run's connection to its NATS server: the embedded
// server if it started one, and the local workers it runs.
type coordination struct {
	embedded *distributed.Embedded
	nc, wnc  *nats.Conn
	coord    *distributed.Coordinator
	stats    distributed.CoordinatorStats
	local    int
	stopWork context.CancelFunc
	workDone chan struct{}
	once     sync.Once
}

// start connects (starting the embedded server first if asked) and makes
// the coordinator that co's Execute runs the sweep through.
func (co *coordination) start(o natsOptions, dbPath string, cfg config.Config, ro search.RunOptions, errOut io.Writer, logf func(string, ...any)) error {
	conn := o.conn("sweep coordinator", logf)
	conn.FailFast = true // before the database is created: a wrong --nats leaves nothing behind
	if addr, embedded, _ := distributed.ParseEmbedded(o.url); embedded {
		e, err := distributed.StartEmbedded(addr, dbPath+".nats", o.token)
		if err != nil {
			return err
		}
		co.embedded = e
		conn.URL, conn.Token = e.LocalURL, e.Token
		fmt.Fprintf(errOut, "embedded NATS JetStream server at %s (store %s); workers join with:\n  sweep worker --nats %s --nats-token %s%s\n", e.URL, dbPath+".nats", e.URL, e.Token, dataDirFlags(cfg))
	}
	nc, err := distributed.Connect(conn)
	if err != nil {
		return err
	}
	co.nc = nc
	co.coord = distributed.NewCoordinator(nc, cfg, distributed.CoordinatorOptions{AckWait: o.ackWait, CheckpointEvery: ro.CheckpointEvery, Logf: logf}, &co.stats)
	return nil
}

// Execute implements search.Executor through the coordinator, which
// start made before the runner runs.
func (co *coordination) Execute(ctx context.Context, job *search.Job) (*train.Result, error) {
	return co.coord.Execute(ctx, job)
}

// attach binds the coordinator to the prepared database and starts the
// local workers, which share the runner's data.
func (co *coordination) attach(ctx context.Context, db *store.DB, runner *search.Runner, cfg config.Config, conn distributed.ConnOptions, kernel string, logf func(string, ...any)) error {
	if err := co.coord.Attach(ctx, db); err != nil {
		return err
	}
	co.workDone = make(chan struct{})
	if co.local == 0 {
		close(co.workDone)
		return nil
	}
	if co.embedded != nil {
		conn.URL, conn.Token = co.embedded.LocalURL, co.embedded.Token
	}
	wnc, err := distributed.Connect(conn)
	if err != nil {
		close(co.workDone)
		return err
	}
	co.wnc = wnc
	var dirs []string
	for i := -1; i < len(cfg.Search.Stages); i++ {
		var st *config.Stage
		if i >= 0 {
			st = &cfg.Search.Stages[i]
		}
		if d := cfg.DataSection(st).Dir; d != "" {
			dirs = append(dirs, d)
		}
	}
	base := runner.BaseData()
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	co.stopWork = cancel
	go func() {
		defer close(co.workDone)
		_ = distributed.RunWorkers(wctx, wnc, distributed.WorkerOptions{Workers: co.local, Kernel: kernel, DataDirs: dirs,
			Data: map[string]*search.Data{base.Info.Fingerprint: base}}, nil)
	}()
	return nil
}

// close stops the local workers, the coordinator, the connections and the
// embedded server, once; the database must still be open.
func (co *coordination) close() { co.once.Do(co.shutdown) }

func (co *coordination) shutdown() {
	if co.stopWork != nil {
		co.stopWork()
		<-co.workDone
	}
	if co.coord != nil {
		co.coord.Close()
	}
	for _, nc := range []*nats.Conn{co.wnc, co.nc} {
		if nc != nil {
			_ = nc.Drain()
			nc.Close()
		}
	}
	if co.embedded != nil {
		co.embedded.Shutdown()
	}
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
func runSweep(ctx context.Context, cfg config.Config, dbPath string, open store.Options, ro search.RunOptions, no natsOptions, out, errOut io.Writer) error {
	if err := checkNATS(no); err != nil {
		return err
	}
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
	var co *coordination
	trainers := 0 // trials trained at once in this process
	if no.url != "" {
		co = &coordination{local: ro.Workers}
		trainers, ro.Workers, ro.Executor = ro.Workers, 0, co
	}
	runner, err := search.NewRunner(ctx, cfg, ro)
	if err != nil {
		return err
	}
	if co == nil {
		trainers = runner.Workers()
	} else {
		// Only once the data loaded: a config that cannot run leaves no
		// server store behind.
		logf := func(format string, args ...any) { progress.Warn("nats: " + fmt.Sprintf(format, args...)) }
		defer co.close()
		if err := co.start(no, dbPath, cfg, ro, errOut, logf); err != nil {
			return err
		}
	}
	setMemoryLimit(max(trainers, 1), maxHidden(cfg), runner.BaseData().Prepared.D)
	if db == nil {
		if db, err = openForWriting(dbPath, open); err != nil {
			return err
		}
		defer db.Close()
	}
	if err := runner.Prepare(db); err != nil {
		return err
	}
	if co != nil {
		logf := func(format string, args ...any) { progress.Warn("nats: " + fmt.Sprintf(format, args...)) }
		if err := co.attach(ctx, db, runner, cfg, no.conn("sweep local worker", logf), ro.Kernel, logf); err != nil {
			return err
		}
	}
	info := runner.BaseData().Info
	workers, workersTime := fmt.Sprintf("%d workers", trainers), fmt.Sprintf("%d workers'", max(trainers, 1))
	if trainers == 1 {
		workers, workersTime = "1 worker", "1 worker's"
	}
	if co != nil {
		workers = fmt.Sprintf("through NATS (sweep key %s) with %s here", co.coord.Key(), workers)
	}
	fmt.Fprintf(errOut, "sweep %q: %s data (%d train / %d validation / %d test), %s, database %s\n",
		cfg.Name, info.Source, runner.BaseData().Prepared.NTrain(), runner.BaseData().Prepared.NVal(), info.Test.N, workers, db.Path())
	start := time.Now()
	runErr := runner.Run(ctx, db)
	if co != nil {
		co.close() // while the database is open: result handlers read it
	}
	progress.Close() // before the ranking is printed below the bars
	if runErr != nil {
		return runErr
	}
	if wall := time.Since(start).Seconds(); runner.Trained() > 0 && co == nil {
		fmt.Fprintf(errOut, "sweep took %.1fs; writing the database %.2fs of worker time (%.1f%% of %s time)\n",
			wall, runner.StoreSeconds(), 100*runner.StoreSeconds()/(wall*float64(runner.Workers())), workersTime)
	} else if co != nil {
		s := &co.stats
		fmt.Fprintf(errOut, "sweep took %.1fs through NATS: %d segments published, %d found queued already, %d with a result waiting; %d results stored, %d duplicate results dropped, %d results delivered again\n",
			wall, s.Published.Load(), s.Queued.Load(), s.Waiting.Load(), s.Results.Load(), s.Duplicates.Load(), s.Redelivered.Load())
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

// dataDirFlags are the --data-dir flags a worker on this machine needs for
// cfg's data (its copy elsewhere may live in another directory): none for
// the embedded set.
func dataDirFlags(cfg config.Config) string {
	secs := []config.DataSection{cfg.Data}
	for i := range cfg.Search.Stages {
		secs = append(secs, cfg.DataSection(&cfg.Search.Stages[i]))
	}
	var dirs []string
	for _, sec := range secs {
		if sec.Dir != "" && !slices.Contains(dirs, sec.Dir) {
			dirs = append(dirs, sec.Dir)
		}
	}
	var b strings.Builder
	for _, d := range dirs {
		if strings.ContainsAny(d, " \t'\"\\$") {
			d = strconv.Quote(d)
		}
		fmt.Fprintf(&b, " --data-dir %s", d)
	}
	return b.String()
}
