package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/data"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// ErrDataChanged is wrapped when the data set differs from the one the
// stored sweep was trained on.
var ErrDataChanged = errors.New("data set changed since the sweep started")

// Observer hears about a sweep's progress; its methods are called from the
// worker goroutines and must be safe for concurrent use.
type Observer interface {
	StageStarted(plan *StagePlan, todo int)
	TrialStarted(t *PlannedTrial, resumedAt int, totalSteps int)
	TrialRecord(t *PlannedTrial, rec train.Record)
	TrialFinished(t *PlannedTrial, result store.Trial)
	Warn(msg string)
}

// RunOptions tune a sweep run.
type RunOptions struct {
	// Workers is the number of trials trained at once; 0 takes the
	// config's search.workers, or GOMAXPROCS.
	Workers int
	// Observer, if set, hears about progress.
	Observer Observer
	// CheckpointEvery is the number of updates between checkpoints; 0 means
	// every half cycle.
	CheckpointEvery int
	// StatusEvery is how often the status snapshot beside the database is
	// rewritten; 0 means every second.
	StatusEvery time.Duration
	// Kernel is the kernel set trials train with (train.Kernels); "" means
	// the fastest. It changes the speed, never a result.
	Kernel string
	// Executor, if set, trains the trials instead of this process's
	// goroutines; Workers is then ignored and every trial of a stage is
	// handed to it at once (see Executor).
	Executor Executor
}

// Runner runs a sweep's stages against a database.
type Runner struct {
	cfg  config.Config
	opts RunOptions
	data map[string]*Data // by data section, loaded once
	base *Data

	// trainFn is train.Train; tests replace it to inject failures.
	trainFn func(context.Context, train.Config, *train.Dataset, train.Options) (*train.Result, error)
	exec    Executor // RunOptions.Executor, else trainFn in this process

	db         *store.DB
	storeNanos atomic.Int64 // time spent writing the database
	started    atomic.Int64 // trials started by Run
	mu         sync.Mutex
	live       map[string]*store.RunningTrial
	tried      map[string]bool                 // trials Run has started, by id
	count      map[string]map[store.Status]int // stage → status → trials
	total      map[string]int
	tpeIDs     map[string]tpeIDCache // by tpe stage, across its passes (tpe.go)
}

// NewRunner validates cfg and loads every data set its stages train on;
// nothing is written anywhere. Loading stops with ctx's error once ctx is
// done.
func NewRunner(ctx context.Context, cfg config.Config, opts RunOptions) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Executor != nil {
		opts.Workers = maxInFlight
	} else if opts.Workers <= 0 {
		opts.Workers = cfg.Search.WorkerCount()
	}
	if opts.StatusEvery <= 0 {
		opts.StatusEvery = time.Second
	}
	var err error
	if opts.Kernel, err = train.CheckKernel(opts.Kernel); err != nil {
		return nil, err
	}
	r := &Runner{cfg: cfg, opts: opts, data: map[string]*Data{}, trainFn: train.Train}
	if r.exec = opts.Executor; r.exec == nil {
		r.exec = localExecutor{r, hostname()}
	}
	if r.base, err = r.load(ctx, cfg.Data); err != nil {
		return nil, cfg.DataError(nil, err)
	}
	for i := range cfg.Search.Stages {
		st := &cfg.Search.Stages[i]
		ds, err := r.load(ctx, cfg.DataSection(st))
		if err != nil {
			return nil, cfg.DataError(st, err)
		}
		// Every setting must fit the data: a batch larger than the
		// training split is caught here, before a database exists; the
		// stage's own settings first, then every trial it can plan.
		tc, err := cfg.TrainConfig(st, nil)
		if err != nil {
			return nil, err
		}
		if err := cfg.CheckFit(st, tc, ds.Prepared); err != nil {
			return nil, err
		}
		if st.Best == 0 {
			if _, err := r.planStage(st, &history{stages: map[string]store.Stage{}, trials: map[string]store.Trial{}}); err != nil && !errors.Is(err, ErrNothingToRefine) {
				return nil, err
			}
		}
	}
	return r, nil
}

func (r *Runner) load(ctx context.Context, sec config.DataSection) (*Data, error) {
	key, err := dataKey(sec)
	if err != nil {
		return nil, err
	}
	if ds, ok := r.data[key]; ok {
		return ds, nil
	}
	ds, err := LoadData(ctx, sec)
	if err != nil {
		return nil, err
	}
	r.data[key] = ds
	return ds, nil
}

// dataKey identifies a data section by the loader's spec, so that stages
// with equal data share one loaded set.
func dataKey(sec config.DataSection) (string, error) {
	spec, err := json.Marshal(config.DataSpec(sec))
	if err != nil {
		return "", fmt.Errorf("search: data section: %w", err)
	}
	return string(spec), nil
}

// stageData is the data set of stage st, which NewRunner loaded.
func (r *Runner) stageData(st *config.Stage) (*Data, error) {
	key, err := dataKey(r.cfg.DataSection(st))
	if err != nil {
		return nil, err
	}
	ds, ok := r.data[key]
	if !ok {
		return nil, fmt.Errorf("search: stage %q: its data set was not loaded", st.Name)
	}
	return ds, nil
}

// BaseData is the data set of the config's data section.
func (r *Runner) BaseData() *Data { return r.base }

// Workers is the number of trials the runner trains at once.
func (r *Runner) Workers() int { return r.opts.Workers }

// SweepRecord is the store's description of this sweep.
func (r *Runner) SweepRecord() (store.Sweep, error) {
	resolved, err := r.cfg.Resolved()
	if err != nil {
		return store.Sweep{}, err
	}
	path := r.cfg.File
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	files := make([]store.FileHash, len(r.base.Info.Files))
	for i, f := range r.base.Info.Files {
		files[i] = store.FileHash{Path: f.Path, Size: f.Size, SHA256: f.SHA256}
	}
	return store.Sweep{
		Name: r.cfg.Name, ConfigYAML: r.cfg.Raw, ConfigResolved: resolved, ConfigPath: path,
		DataFingerprint: r.base.Info.Fingerprint, DataFiles: files, Created: time.Now().UTC(),
		Numerics: train.AlgorithmVersion,
	}, nil
}

// Prepare makes db ready to run this config: a new database gets the sweep
// record; an existing one must hold trials of this numerics version (see
// checkVersion), the same data set and the same stored stages. Trials a killed
// process left running become pending again, to resume from their
// checkpoints.
func (r *Runner) Prepare(db *store.DB) error {
	existing, err := db.Sweep()
	switch {
	case errors.Is(err, store.ErrNotFound):
		rec, err := r.SweepRecord()
		if err != nil {
			return err
		}
		if err := db.PutSweep(rec); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		if err := r.checkVersion(db, existing); err != nil {
			return err
		}
		if existing.DataFingerprint != r.base.Info.Fingerprint {
			old := make([]data.FileHash, len(existing.DataFiles))
			for i, f := range existing.DataFiles {
				old[i] = data.FileHash{Path: f.Path, Size: f.Size, SHA256: f.SHA256}
			}
			what := "the split settings"
			changed := r.base.Info.ChangedFiles(old)
			if len(changed) > 0 && len(changed) == len(old)+len(r.base.Info.Files) {
				// No file in common: the config reads another data set, most
				// often because two configs share a name (a copied config
				// keeps it), so the database's files are the clue.
				was := make([]string, len(old))
				for i, f := range old {
					was[i] = f.Path
				}
				return fmt.Errorf("search: %w: %s was trained on other files (%s) than this config reads; point its data at them again, or start a new sweep (another name or --db FILE)",
					ErrDataChanged, db.Path(), strings.Join(was, ", "))
			}
			if len(changed) > 0 {
				what = strings.Join(changed, ", ")
			}
			return fmt.Errorf("search: %w: %s differs from what %s was trained on; restore the data, or start a new sweep with another --db",
				ErrDataChanged, what, db.Path())
		}
		// A stored stage the config changes is refused now, before the
		// stages ahead of it train and before anything is written.
		if _, err := r.Plan(db); err != nil {
			return err
		}
		if err := recordNumerics(db, existing); err != nil {
			return err
		}
	}
	_, err = db.MarkInterrupted()
	return err
}

// Run trains every stage's trials that are not finished yet, in stage
// order, at most Workers at once. A training error marks its trial failed
// (retried by the next run) or diverged; a store error stops the sweep and
// is returned. When ctx is cancelled no trial is started and running ones
// checkpoint and stop; Run then returns ctx's error.
func (r *Runner) Run(ctx context.Context, db *store.DB) (err error) {
	// An interrupted trial is pending: its last checkpoint says so when it
	// trained here, but a remote one, which its worker may still train,
	// was stored running at its last checkpoint copy.
	defer func() {
		if ctx.Err() != nil {
			if _, merr := db.MarkInterrupted(); merr != nil && err == nil {
				err = merr
			}
		}
	}()
	r.db = db
	r.live = map[string]*store.RunningTrial{}
	r.tried = map[string]bool{}
	r.count = map[string]map[store.Status]int{}
	r.total = map[string]int{}
	stopStatus := r.publishStatus()
	defer stopStatus()
	for i := range r.cfg.Search.Stages {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.runStage(ctx, &r.cfg.Search.Stages[i]); err != nil {
			return err
		}
	}
	return nil
}

// runStage trains a stage's trials; a halving or tpe stage is planned
// again after each pass, when its trials' results may decide a rung or a
// round, until a pass finds nothing to train.
func (r *Runner) runStage(ctx context.Context, st *config.Stage) error {
	for first := true; ; first = false {
		trained, err := r.runStagePass(ctx, st, first)
		if err != nil || trained == 0 || st.Halving == nil && st.TPE == nil {
			return err
		}
	}
}

// runStagePass plans stage st from the database, stores its plan and trains
// the trials not finished yet, returning how many it trained. The observer
// hears of the stage on its first pass and on every later one that trains:
// the last pass of a halving or tpe stage, which finds nothing more, is
// not news.
func (r *Runner) runStagePass(ctx context.Context, st *config.Stage, first bool) (int, error) {
	h, err := loadHistory(r.db)
	if err != nil {
		return 0, err
	}
	plan, err := r.planStage(st, h)
	if err != nil {
		return 0, err
	}
	derived, err := config.EncodeDerived(plan.Derived)
	if err != nil {
		return 0, err
	}
	spec, err := config.EncodeStage(st)
	if err != nil {
		return 0, err
	}
	rec := store.Stage{Name: st.Name, Index: st.Index, Spec: spec, Derived: derived}
	var created []store.Trial
	var todo []*PlannedTrial
	counts := map[store.Status]int{}
	// A failed trial of a tpe stage is retried only once every round is
	// proposed: its failure counts as the worst result in the rounds
	// decided meanwhile, whenever a run was interrupted.
	holdFailed := st.TPE != nil && tpeRoundsRemain(st, plan.Derived)
	for i := range plan.Trials {
		t := &plan.Trials[i]
		rec.TrialIDs = append(rec.TrialIDs, t.ID)
		rec.Reused = append(rec.Reused, t.Reused)
		stored, ok := h.trials[t.ID]
		if !ok {
			if stored, err = r.newTrial(t); err != nil {
				return 0, err
			}
			created = append(created, stored)
		}
		counts[stored.Status]++
		// A trial that failed earlier in this Run waits for the next
		// one, as without halving, where each stage is planned once.
		if !stored.Status.Final() && !r.tried[t.ID] && !(holdFailed && stored.Status == store.Failed) {
			todo = append(todo, t)
		}
	}
	if err := r.timed(func() error { return r.db.PutStage(rec, created...) }); err != nil {
		return 0, err
	}
	if err := r.markRungs(plan, h, counts); err != nil {
		return 0, err
	}
	r.mu.Lock()
	r.count[st.Name], r.total[st.Name] = counts, len(plan.Trials)
	r.mu.Unlock()
	if obs := r.opts.Observer; obs != nil {
		for _, w := range plan.Warnings {
			obs.Warn(w)
		}
		if first || len(todo) > 0 {
			obs.StageStarted(plan, len(todo))
		}
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.Workers)
	for _, t := range todo {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			err := r.runTrial(gctx, t)
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				// Name the trial a store error stopped the sweep at.
				err = fmt.Errorf("search: trial %s: %w", t.ID, err)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	if st.LRRange != nil && ctx.Err() == nil {
		if err := r.deriveStageRates(st, plan, rec); err != nil {
			return 0, err
		}
	}
	return len(todo), ctx.Err()
}

// newTrial is the store's record of a trial not trained yet; its config is
// the settings part of the trial's encoding.
func (r *Runner) newTrial(t *PlannedTrial) (store.Trial, error) {
	settings, err := config.EncodeSettings(t.Config)
	if err != nil {
		return store.Trial{}, err
	}
	return store.Trial{
		ID: t.ID, Stage: t.Stage.Name, Index: t.Index, Params: t.Params, Config: settings,
		Status: store.Pending, Seed: t.Config.Seed, SeedIndex: t.SeedIndex,
		Precision: string(t.Config.Precision),
	}, nil
}

// storeError marks a failure to write the database, which stops the sweep
// instead of failing one trial.
type storeError struct{ err error }

func (e storeError) Error() string { return e.err.Error() }
func (e storeError) Unwrap() error { return e.err }

// runTrial trains one trial, resuming from its checkpoint if it has one. Only
// store errors and cancellation are returned: anything else the training
// does wrong is recorded on the trial.
func (r *Runner) runTrial(ctx context.Context, t *PlannedTrial) error {
	// errgroup's Go waits for a free worker, and the sweep may have been
	// interrupted meanwhile: then the trial does not start at all.
	if err := ctx.Err(); err != nil {
		return err
	}
	meta, err := r.db.Trial(t.ID)
	if err != nil {
		return err
	}
	var resume *train.Checkpoint
	if blob, err := r.db.Checkpoint(t.ID); err == nil {
		var ck train.Checkpoint
		if ck.UnmarshalBinary(blob) == nil {
			resume = &ck
		} else if obs := r.opts.Observer; obs != nil {
			obs.Warn(fmt.Sprintf("trial %s: its checkpoint is unreadable; training it from the start", t.ID))
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	wallBefore := meta.WallSeconds
	if resume == nil && t.From != "" {
		// A promoted trial's first segment is its trial at the rung below.
		ck, prev, err := r.rungCheckpoint(t)
		if err != nil {
			return err
		}
		resume = ck
		wallBefore += prev.WallSeconds
		meta.CyclesTrained = t.FromCycles
	}
	r.started.Add(1)
	segment := time.Now()
	from := meta.Status
	meta.Status, meta.Error = store.Running, ""
	meta.Attempts++
	meta.Kernel = r.opts.Kernel
	if meta.Started.IsZero() {
		meta.Started = segment.UTC()
	}
	// The running status, the attempt and the start time reach the
	// database with the first checkpoint or the result, which saves a
	// commit per trial; a trial killed before either simply starts over.
	total := t.Config.TotalSteps(t.Data.Prepared.NTrain())
	resumedAt := 0
	if resume != nil {
		resumedAt = resume.Step
	}
	r.trialStarted(t, from, resumedAt, total, resume)

	job := &Job{Trial: t}
	announced := false
	job.OnStart = func() {
		r.trialBegan(t, job.Ran, resumedAt, total, !announced)
		announced = true
	}
	job.OnQueued = func() { r.trialQueued(t) }
	job.Options = train.Options{
		Resume:          resume,
		Kernel:          r.opts.Kernel,
		CheckpointEvery: r.opts.CheckpointEvery,
		OnCheckpoint: func(ck *train.Checkpoint) error {
			blob, err := ck.MarshalBinary()
			if err != nil {
				return err
			}
			meta.Segments = addSegment(meta.Segments, job.Ran, ck.Step)
			meta.Kernel = job.Ran.Kernel
			m := meta
			m.Seconds = ck.Seconds
			m.CyclesTrained = cyclesAt(t.Config, t.Data.Prepared.NTrain(), ck.Step)
			if !job.Started.IsZero() {
				segment = job.Started
			}
			m.WallSeconds = wallBefore + time.Since(segment).Seconds()
			if ctx.Err() != nil {
				m.Status = store.Pending // interrupted: the next run resumes it
			}
			if err := r.timed(func() error { return r.db.SaveCheckpoint(t.ID, blob, m) }); err != nil {
				return storeError{err}
			}
			return nil
		},
		OnRecord: func(rec train.Record) {
			meta.Segments = addSegment(meta.Segments, job.Ran, rec.Step)
			r.trialRecord(t, rec, job.Ran)
		},
	}
	res, err := r.exec.Execute(ctx, job)
	if !job.Started.IsZero() {
		segment = job.Started
	}
	meta.WallSeconds = wallBefore + time.Since(segment).Seconds()
	meta.Finished = time.Now().UTC()
	var div *train.DivergedError
	var serr storeError
	var history []train.Record
	var weights *store.Weights
	switch {
	case err == nil:
		meta.Status = store.Done
		meta.CyclesTrained = t.Config.Cycles
		meta.Seconds = res.Seconds
		meta.Kernel = res.Kernel
		meta.Segments = addSegment(meta.Segments, job.Ran, res.Steps)
		history = res.History
		last := res.History[len(res.History)-1]
		meta.Final = store.Metrics{
			TrainCost: ptr(last.TrainCost), TrainLoss: ptr(last.TrainLoss), TrainAccuracy: ptr(last.TrainAccuracy),
			ValCost: ptr(last.ValCost), ValLoss: ptr(last.ValLoss), ValAccuracy: ptr(last.ValAccuracy),
			TestCost: ptr(res.Test.Cost), TestLoss: ptr(res.Test.Loss), TestAccuracy: ptr(res.Test.Accuracy),
		}
		w := res.Weights
		weights = &store.Weights{M: w.M, D: w.D, K: w.K, W1: w.W1, B1: w.B1, W2: w.W2, B2: w.B2,
			Mean: t.Data.Prepared.Mean, Std: t.Data.Prepared.Std}
	case errors.As(err, &div):
		// No final metrics: the accuracy of a network of NaNs means nothing.
		meta.Status, meta.DivergedStep, meta.Error = store.Diverged, div.Step, err.Error()
		meta.Seconds = div.Seconds
		meta.CyclesTrained = cyclesAt(t.Config, t.Data.Prepared.NTrain(), div.Step)
		meta.Segments = addSegment(meta.Segments, job.Ran, div.Step)
		history = div.History
	case errors.As(err, &serr):
		return serr.err
	case ctx.Err() != nil:
		r.trialStopped(t, store.Pending)
		return ctx.Err()
	default:
		meta.Status, meta.Error = store.Failed, err.Error()
	}
	records := make([]store.Record, len(history))
	for i, h := range history {
		records[i] = store.Record(h)
	}
	if err := r.timed(func() error { return r.db.FinishTrial(meta, records, weights) }); err != nil {
		return err
	}
	if job.Stored != nil {
		job.Stored()
	}
	r.trialStopped(t, meta.Status)
	if obs := r.opts.Observer; obs != nil {
		obs.TrialFinished(t, meta)
	}
	return nil
}

func ptr(x float64) *float64 { return &x }

// timed runs a database write and adds its duration to StoreSeconds.
func (r *Runner) timed(write func() error) error {
	start := time.Now()
	err := write()
	r.storeNanos.Add(int64(time.Since(start)))
	return err
}

// Trained is the number of trials Run started training.
func (r *Runner) Trained() int { return int(r.started.Load()) }

// StoreSeconds is the time Run spent writing the database (metadata,
// checkpoints, histories and weights, each commit fsynced), summed over
// workers.
func (r *Runner) StoreSeconds() float64 { return float64(r.storeNanos.Load()) / 1e9 }

func (r *Runner) trialStarted(t *PlannedTrial, from store.Status, resumedAt, total int, ck *train.Checkpoint) {
	rt := &store.RunningTrial{ID: t.ID, Stage: t.Stage.Name, Params: t.Params, Step: resumedAt, TotalSteps: total, Queued: true}
	if ck != nil && len(ck.History) > 0 {
		last := ck.History[len(ck.History)-1]
		rt.Epoch, rt.ValAccuracy = last.Epoch, ptr(last.ValAccuracy)
	}
	r.mu.Lock()
	r.live[t.ID] = rt
	r.tried[t.ID] = true
	if c := r.count[t.Stage.Name]; c != nil {
		c[from]--
		c[store.Running]++
	}
	r.mu.Unlock()
}

// trialBegan marks a trial's segment as training where ran says: handed
// over, it was queued until now. The Observer hears of the first start
// only: a segment that moves to another worker is still the one trial.
func (r *Runner) trialBegan(t *PlannedTrial, ran store.Segment, resumedAt, total int, announce bool) {
	r.mu.Lock()
	if rt := r.live[t.ID]; rt != nil {
		rt.Queued = false
		rt.Worker, rt.Host, rt.Kernel = ran.Worker, ran.Host, ran.Kernel
	}
	r.mu.Unlock()
	if obs := r.opts.Observer; obs != nil && announce {
		obs.TrialStarted(t, resumedAt, total)
	}
}

// trialQueued marks a trial whose segment went back to the queue.
func (r *Runner) trialQueued(t *PlannedTrial) {
	r.mu.Lock()
	if rt := r.live[t.ID]; rt != nil {
		rt.Queued = true
		rt.Worker, rt.Host, rt.Kernel = "", "", ""
	}
	r.mu.Unlock()
}

func (r *Runner) trialRecord(t *PlannedTrial, rec train.Record, ran store.Segment) {
	r.mu.Lock()
	if rt := r.live[t.ID]; rt != nil {
		rt.Step, rt.Epoch, rt.ValAccuracy = rec.Step, rec.Epoch, ptr(rec.ValAccuracy)
		rt.Worker, rt.Host, rt.Kernel = ran.Worker, ran.Host, ran.Kernel
	}
	r.mu.Unlock()
	if obs := r.opts.Observer; obs != nil {
		obs.TrialRecord(t, rec)
	}
}

func (r *Runner) trialStopped(t *PlannedTrial, status store.Status) {
	r.mu.Lock()
	delete(r.live, t.ID)
	if c := r.count[t.Stage.Name]; c != nil {
		c[store.Running]--
		c[status]++
	}
	r.mu.Unlock()
}

// publishStatus rewrites the status snapshot beside the database until the
// returned function is called, which writes a last one saying the sweep has
// stopped.
func (r *Runner) publishStatus() (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(r.opts.StatusEvery)
		defer tick.Stop()
		for {
			r.writeStatus(true)
			select {
			case <-done:
				r.writeStatus(false)
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (r *Runner) writeStatus(live bool) {
	s := store.StatusSnapshot{PID: os.Getpid(), Updated: time.Now().UTC(), Live: live, Sweep: r.cfg.Name}
	r.mu.Lock()
	for i := range r.cfg.Search.Stages {
		name := r.cfg.Search.Stages[i].Name
		if c, ok := r.count[name]; ok {
			counts := map[store.Status]int{}
			for k, v := range c {
				if v > 0 {
					counts[k] = v
				}
			}
			s.Stages = append(s.Stages, store.StageCounts{Name: name, Total: r.total[name], Counts: counts})
		}
	}
	for _, rt := range r.live {
		s.Running = append(s.Running, *rt)
	}
	r.mu.Unlock()
	// The snapshot is advisory: failing to write it must not stop training.
	_ = store.WriteStatus(r.db.Path(), s)
}
