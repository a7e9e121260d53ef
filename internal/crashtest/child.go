package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sweep-ml/sweep/internal/storefault"
	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/search"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// childEnv, set to a database path, makes the process the child that runs
// the sweep into it.
const childEnv = "SWEEP_CRASHTEST_CHILD"

// sweepYAML is the sweep under test: 4 + 2 + 1 trials of 120-180 updates,
// about a second of training each, with a refine and a best stage so that
// the stages' derived values are exercised across crashes as well.
const sweepYAML = `
name: crashtest
seed: 11
data: {source: embedded}
model: {hidden: 12}
training:
  batch_size: 150
  step_size: 30
  cycles: 2
  records_per_cycle: 4
  eta_max: 0.05
search:
  stages:
    - name: coarse
      sampler: grid
      trials: 4
      space:
        lambda: {log10: [-4, -1]}
    - name: fine
      after: coarse
      sampler: random
      trials: 2
      space:
        lambda: {log10: refine}
      refine: {top: 2, margin: 0.25}
    - name: final
      after: fine
      best: 1
      training: {cycles: 3}
`

// childCheckpointEvery is tiny so that most of a child's life is spent
// writing checkpoints, where a kill is most likely to do harm.
const childCheckpointEvery = 2

func sweepConfig() (config.Config, error) {
	return config.Parse(strings.NewReader(sweepYAML), config.ParseOptions{File: "crashtest.yaml", BaseDir: os.TempDir()})
}

// exitInterrupted is the child's exit code after a graceful stop, as the
// CLI's.
const exitInterrupted = 130

// child runs the sweep into the database at path, reporting on stdout one
// line per event the parent checks: "loaded", "write OP" (a write
// transaction is about to commit), "start ID STEP" (trial ID starts at
// update STEP), "finish ID STATUS" and "warn MSG".
func child(path string) int {
	// Installed first: a SIGINT must always take the graceful path.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "crashtest child:", err)
		return 1
	}
	cfg, err := sweepConfig()
	if err != nil {
		return fail(err)
	}
	r, err := search.NewRunner(ctx, cfg, search.RunOptions{Workers: 2, CheckpointEvery: childCheckpointEvery, Observer: &events{}})
	if err != nil {
		return fail(err)
	}
	emit("loaded")
	defer storefault.Set(path, func(op string) error {
		emit("write " + op)
		return nil
	})()
	db, err := store.Open(path, store.Options{Create: true})
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	if err := r.Prepare(db); err != nil {
		return fail(err)
	}
	err = r.Run(ctx, db)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	default:
		return fail(err)
	}
}

var emitMu sync.Mutex

// emit writes one event line in a single write, so a kill never leaves half
// a line followed by another event.
func emit(line string) {
	emitMu.Lock()
	defer emitMu.Unlock()
	os.Stdout.WriteString(line + "\n")
}

type events struct{}

func (*events) StageStarted(*search.StagePlan, int) {}
func (*events) TrialStarted(t *search.PlannedTrial, resumedAt, _ int) {
	emit(fmt.Sprintf("start %s %d", t.ID, resumedAt))
}
func (*events) TrialRecord(*search.PlannedTrial, train.Record) {}
func (*events) TrialFinished(t *search.PlannedTrial, res store.Trial) {
	emit(fmt.Sprintf("finish %s %s", t.ID, res.Status))
}
func (*events) Warn(msg string) { emit("warn " + strings.ReplaceAll(msg, "\n", " ")) }

// reference runs the sweep uninterrupted, in this process, into a new
// database at path.
func reference(path string) error {
	cfg, err := sweepConfig()
	if err != nil {
		return err
	}
	r, err := search.NewRunner(context.Background(), cfg, search.RunOptions{Workers: 2, CheckpointEvery: childCheckpointEvery, StatusEvery: time.Minute})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	db, err := store.Open(path, store.Options{Create: true})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := r.Prepare(db); err != nil {
		return err
	}
	return r.Run(context.Background(), db)
}
