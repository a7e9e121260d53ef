package search

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// tinySweep trains small networks on the embedded data set: 4 grid trials
// of 60 updates each, a few tenths of a second apiece.
const tinySweep = `
name: tiny
seed: 7
data: {source: embedded}
model: {hidden: 8}
training:
  batch_size: 150
  step_size: 20
  cycles: 1
  records_per_cycle: 4
  eta_max: 0.05
search:
  stages:
    - name: coarse
      sampler: grid
      trials: 4
      space:
        lambda: {log10: [-4, -1]}
`

func parseConfig(t testing.TB, yaml string) config.Config {
	t.Helper()
	cfg, err := config.Parse(strings.NewReader(yaml), config.ParseOptions{File: "test.yaml", BaseDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// sweepRun opens (creating) the database at path and runs cfg into it.
func sweepRun(ctx context.Context, t testing.TB, cfg config.Config, path string, opts RunOptions, tweak func(*Runner)) error {
	t.Helper()
	r, err := NewRunner(t.Context(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if tweak != nil {
		tweak(r)
	}
	db, err := store.Open(path, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := r.Prepare(db); err != nil {
		return err
	}
	return r.Run(ctx, db)
}

// outcome is everything a trial's result consists of, as raw bits.
type outcome struct {
	status  store.Status
	bits    []uint64
	records int
}

// outcomes reads every trial's status, history and weights.
func outcomes(t testing.TB, path string) map[string]outcome {
	t.Helper()
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]outcome{}
	err = db.ForEachTrial(func(tr store.Trial) error {
		o := outcome{status: tr.Status}
		hist, err := db.History(tr.ID)
		if err != nil {
			return err
		}
		o.records = len(hist)
		for _, r := range hist {
			for _, v := range []float64{float64(r.Step), r.Epoch, r.Eta, r.TrainCost, r.TrainLoss, r.TrainAccuracy, r.ValCost, r.ValLoss, r.ValAccuracy} {
				o.bits = append(o.bits, math.Float64bits(v))
			}
		}
		if tr.Status.Complete() {
			w, err := db.Weights(tr.ID)
			if err != nil {
				return err
			}
			for _, s := range [][]float64{w.W1, w.B1, w.W2, w.B2, w.Mean, w.Std} {
				for _, v := range s {
					o.bits = append(o.bits, math.Float64bits(v))
				}
			}
			o.bits = append(o.bits, math.Float64bits(*tr.Final.TestAccuracy), math.Float64bits(*tr.Final.TestCost))
		}
		out[tr.ID] = o
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameOutcomes(t *testing.T, label string, got, want map[string]outcome) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d trials, want %d", label, len(got), len(want))
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Fatalf("%s: trial %s missing", label, id)
		}
		if g.status != w.status || g.records != w.records || len(g.bits) != len(w.bits) {
			t.Fatalf("%s: trial %s is %s with %d records, want %s with %d", label, id, g.status, g.records, w.status, w.records)
		}
		for i := range w.bits {
			if g.bits[i] != w.bits[i] {
				t.Fatalf("%s: trial %s differs at value %d", label, id, i)
			}
		}
	}
}

var reference struct {
	once sync.Once
	path string
}

// referenceRun is the uninterrupted single-worker run every other run of
// tinySweep must reproduce bit for bit.
func referenceRun(t *testing.T) map[string]outcome {
	reference.once.Do(func() {
		dir, err := os.MkdirTemp("", "sweep-reference")
		if err != nil {
			t.Fatal(err)
		}
		reference.path = filepath.Join(dir, "ref.db")
		if err := sweepRun(context.Background(), t, parseConfig(t, tinySweep), reference.path, RunOptions{Workers: 1}, nil); err != nil {
			t.Fatal(err)
		}
	})
	out := outcomes(t, reference.path)
	if len(out) != 4 {
		t.Fatalf("reference run has %d trials, want 4", len(out))
	}
	for id, o := range out {
		if o.status != store.Done {
			t.Fatalf("reference trial %s is %s", id, o.status)
		}
	}
	return out
}

func TestMain(m *testing.M) {
	if os.Getenv("SWEEP_TEST_CHILD") != "" {
		os.Exit(childSweep())
	}
	code := m.Run()
	for _, p := range []string{reference.path, halvingReference.path, tpeReference.path} {
		if p != "" {
			os.RemoveAll(filepath.Dir(p))
		}
	}
	os.Exit(code)
}

func TestResultsIndependentOfWorkers(t *testing.T) {
	want := referenceRun(t)
	path := filepath.Join(t.TempDir(), "w3.db")
	if err := sweepRun(t.Context(), t, parseConfig(t, tinySweep), path, RunOptions{Workers: 3}, nil); err != nil {
		t.Fatal(err)
	}
	sameOutcomes(t, "3 workers", outcomes(t, path), want)
}

// startCounter counts trial starts and can cancel the run after a number of
// checkpoints were written.
type startCounter struct {
	mu      sync.Mutex
	started map[string]int
	resumed int // trials started from a checkpoint
	records int
	cancel  func()
	stopAt  int
}

func (s *startCounter) StageStarted(*StagePlan, int) {}
func (s *startCounter) TrialStarted(t *PlannedTrial, resumedAt, _ int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.started[t.ID]++
	if resumedAt > 0 {
		s.resumed++
	}
}
func (s *startCounter) TrialRecord(*PlannedTrial, train.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records++
	if s.records == s.stopAt && s.cancel != nil {
		s.cancel()
	}
}
func (s *startCounter) TrialFinished(*PlannedTrial, store.Trial) {}
func (s *startCounter) Warn(string)                              {}

// A sweep cancelled at any point and run again ends bit-identical to one
// that was never interrupted; trials finished before the interruption are
// not trained again, and none is lost.
func TestResumeAfterCancelIsExact(t *testing.T) {
	want := referenceRun(t)
	for _, stopAt := range []int{1, 3, 7, 12, 18} {
		t.Run(fmt.Sprint(stopAt), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.db")
			runCancelledAt(t, tinySweep, path, stopAt, 7)
			mid := outcomes(t, path)
			for id, o := range mid {
				if o.status == store.Running {
					t.Fatalf("trial %s left running after a graceful stop", id)
				}
			}
			second := &startCounter{started: map[string]int{}}
			if err := sweepRun(t.Context(), t, parseConfig(t, tinySweep), path, RunOptions{Workers: 2, Observer: second, CheckpointEvery: 7}, nil); err != nil {
				t.Fatal(err)
			}
			for id, o := range mid {
				if o.status == store.Done && second.started[id] > 0 {
					t.Fatalf("trial %s was done before the interruption and trained again", id)
				}
			}
			sameOutcomes(t, "resumed", outcomes(t, path), want)
		})
	}
}

// runCancelledAt runs sweep into path with 2 workers, checkpointing every
// checkpointEvery updates, and cancels it once stopAt trials have started
// or recorded (startCounter); the run must say it was cancelled.
func runCancelledAt(t *testing.T, sweep, path string, stopAt, checkpointEvery int) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	first := &startCounter{started: map[string]int{}, cancel: cancel, stopAt: stopAt}
	err := sweepRun(ctx, t, parseConfig(t, sweep), path, RunOptions{Workers: 2, Observer: first, CheckpointEvery: checkpointEvery}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v, want context.Canceled", err)
	}
}

// childSweep runs tinySweep into the database named by the environment,
// slowly enough (a checkpoint every 3 updates) for the parent to kill it
// mid-trial.
func childSweep() int {
	src := tinySweep
	if os.Getenv("SWEEP_TEST_CHILD_HALVING") != "" {
		src = halvingSweep
	}
	if os.Getenv("SWEEP_TEST_CHILD_TPE") != "" {
		src = tpeSweep
	}
	cfg, err := config.Parse(strings.NewReader(src), config.ParseOptions{File: "child.yaml"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	r, err := NewRunner(context.Background(), cfg, RunOptions{Workers: 2, CheckpointEvery: 3, StatusEvery: 20 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	db, err := store.Open(os.Getenv("SWEEP_TEST_CHILD"), store.Options{Create: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := r.Prepare(db); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := r.Run(context.Background(), db); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// A sweep process killed with SIGKILL (no chance to checkpoint) resumes
// exactly: trials it left running continue from their last checkpoint.
func TestResumeAfterSIGKILLIsExact(t *testing.T) {
	want := referenceRun(t)
	path := filepath.Join(t.TempDir(), "k.db")
	for kill := 0; kill < 3; kill++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "SWEEP_TEST_CHILD="+path)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill once a trial is past its first checkpoint, as the status
		// snapshot shows.
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			snap, err := store.ReadStatus(path)
			if err == nil && (!snap.Live || len(snap.Running) > 0 && snap.Running[0].Step >= 5*(kill+1)) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
	}
	// The kills must have hit trials mid-training: left running, with a
	// checkpoint to resume from.
	killed := 0
	for id, o := range outcomes(t, path) {
		if o.status == store.Running {
			killed++
		} else if o.status != store.Done && o.status != store.Pending {
			t.Fatalf("trial %s is %s after the kills", id, o.status)
		}
	}
	if killed == 0 {
		t.Fatal("no trial was running when the sweep was killed; the test proved nothing")
	}
	counter := &startCounter{started: map[string]int{}}
	if err := sweepRun(t.Context(), t, parseConfig(t, tinySweep), path, RunOptions{Workers: 2, Observer: counter}, nil); err != nil {
		t.Fatal(err)
	}
	if counter.resumed == 0 {
		t.Fatal("no trial resumed from a checkpoint after SIGKILL")
	}
	sameOutcomes(t, "after SIGKILL", outcomes(t, path), want)
}

func TestDivergedTrialIsKeptAndSweepGoesOn(t *testing.T) {
	cfg := parseConfig(t, strings.Replace(tinySweep, "lambda: {log10: [-4, -1]}", "eta_max: {choice: [0.05, 100000]}", 1))
	path := filepath.Join(t.TempDir(), "d.db")
	if err := sweepRun(t.Context(), t, cfg, path, RunOptions{Workers: 2}, nil); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[store.Status]int{}
	err = db.ForEachTrial(func(tr store.Trial) error {
		statuses[tr.Status]++
		if tr.Status == store.Diverged {
			if tr.Params["eta_max"] != 100000 || tr.DivergedStep < 1 || !strings.Contains(tr.Error, "diverged") {
				t.Errorf("diverged trial: %+v", tr)
			}
			if h, _ := db.History(tr.ID); len(h) == 0 {
				t.Error("a diverged trial keeps the history recorded before it diverged")
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if statuses[store.Done] != 1 || statuses[store.Diverged] != 1 {
		t.Fatalf("statuses %v, want 1 done and 1 diverged", statuses)
	}
	// Diverged trials are final: a second run trains nothing.
	counter := &startCounter{started: map[string]int{}}
	if err := sweepRun(t.Context(), t, cfg, path, RunOptions{Observer: counter}, nil); err != nil {
		t.Fatal(err)
	}
	if len(counter.started) != 0 {
		t.Fatalf("second run trained %v", counter.started)
	}
}

func TestFailedTrialIsRetried(t *testing.T) {
	want := referenceRun(t)
	path := filepath.Join(t.TempDir(), "f.db")
	var failedID string
	failOnce := func(r *Runner) {
		r.trainFn = func(ctx context.Context, c train.Config, ds *train.Dataset, o train.Options) (*train.Result, error) {
			if c.Lambda == 1e-4 {
				return nil, errors.New("injected failure")
			}
			return train.Train(ctx, c, ds, o)
		}
	}
	if err := sweepRun(t.Context(), t, parseConfig(t, tinySweep), path, RunOptions{Workers: 2}, failOnce); err != nil {
		t.Fatalf("a failed trial must not stop the sweep: %v", err)
	}
	for id, o := range outcomes(t, path) {
		if o.status == store.Failed {
			failedID = id
		} else if o.status != store.Done {
			t.Fatalf("trial %s is %s", id, o.status)
		}
	}
	if failedID == "" {
		t.Fatal("no trial failed")
	}
	counter := &startCounter{started: map[string]int{}}
	if err := sweepRun(t.Context(), t, parseConfig(t, tinySweep), path, RunOptions{Observer: counter}, nil); err != nil {
		t.Fatal(err)
	}
	if len(counter.started) != 1 || counter.started[failedID] != 1 {
		t.Fatalf("second run started %v, want only the failed trial %s", counter.started, failedID)
	}
	sameOutcomes(t, "after retry", outcomes(t, path), want)
}

// statusProbe reads the status snapshot while a trial trains.
type statusProbe struct {
	startCounter
	path string
	once sync.Once
	snap store.StatusSnapshot
	err  error
}

func (p *statusProbe) TrialRecord(t *PlannedTrial, rec train.Record) {
	if rec.Step < 10 {
		return
	}
	p.once.Do(func() {
		time.Sleep(50 * time.Millisecond) // two snapshot periods
		p.snap, p.err = store.ReadStatus(p.path)
	})
}

func TestStatusSnapshotDuringRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	probe := &statusProbe{path: path}
	probe.started = map[string]int{}
	if err := sweepRun(t.Context(), t, parseConfig(t, tinySweep), path, RunOptions{Workers: 1, Observer: probe, StatusEvery: 10 * time.Millisecond}, nil); err != nil {
		t.Fatal(err)
	}
	if probe.err != nil {
		t.Fatal(probe.err)
	}
	s := probe.snap
	if !s.Live || !s.IsLive(time.Now(), time.Minute) || s.Sweep != "tiny" || len(s.Running) != 1 || s.Running[0].Step < 10 {
		t.Fatalf("snapshot during the run: %+v", s)
	}
	if len(s.Stages) != 1 || s.Stages[0].Total != 4 || s.Stages[0].Counts[store.Running] != 1 {
		t.Fatalf("stage counts during the run: %+v", s.Stages)
	}
	final, err := store.ReadStatus(path)
	if err != nil {
		t.Fatal(err)
	}
	if final.Live || final.Stages[0].Counts[store.Done] != 4 || len(final.Running) != 0 {
		t.Fatalf("snapshot after the run: %+v", final)
	}
}

// While a sweep runs, a second writer is refused quickly.
func TestSecondWriterRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.db")
	probe := &lockProbe{path: path}
	probe.started = map[string]int{}
	if err := sweepRun(t.Context(), t, parseConfig(t, tinySweep), path, RunOptions{Workers: 1, Observer: probe}, nil); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(probe.err, store.ErrInUse) || probe.took > 3*time.Second {
		t.Fatalf("second open during the run: %v after %v, want ErrInUse within ~1s", probe.err, probe.took)
	}
}

type lockProbe struct {
	startCounter
	path string
	once sync.Once
	err  error
	took time.Duration
}

func (p *lockProbe) TrialRecord(*PlannedTrial, train.Record) {
	p.once.Do(func() {
		start := time.Now()
		db, err := store.Open(p.path, store.Options{})
		if err == nil {
			db.Close()
		}
		p.err, p.took = err, time.Since(start)
	})
}
