package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/search"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// tpePlanSweep is a tpe stage of 7 points (3 startup, rounds of 2) and
// the same with halving, whose first rung holds the rounds.
const tpePlanSweep = `
name: plan
seed: 3
data: {source: embedded}
model: {hidden: 8}
training: {batch_size: 150, step_size: 20, cycles: 1, records_per_cycle: 2}
search:
  stages:
    - name: t
      sampler: tpe
      trials: 7
      tpe: {startup: 3, batch: 2}
      space: {lambda: {log10: [-4, -1]}, hidden: {int: [4, 12]}}
    - name: th
      sampler: tpe
      trials: 5
      tpe: {startup: 3, batch: 1}
      space: {lambda: {log10: [-4, -1]}}
      training: {cycles: 2}
      halving: {min_cycles: 1, eta: 2}
`

// cancelAfter cancels a run once n trials have finished.
type cancelAfter struct {
	mu     sync.Mutex
	n      int
	cancel func()
}

func (c *cancelAfter) StageStarted(*search.StagePlan, int)            {}
func (c *cancelAfter) TrialStarted(*search.PlannedTrial, int, int)    {}
func (c *cancelAfter) TrialRecord(*search.PlannedTrial, train.Record) {}
func (c *cancelAfter) Warn(string)                                    {}
func (c *cancelAfter) TrialFinished(_ *search.PlannedTrial, _ store.Trial) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n--; c.n == 0 {
		c.cancel()
	}
}

// The plan of a tpe stage before it runs (the startup round), stopped in
// its second round (round 1 decided, one of its trials finished, round 2
// not decided) and after the run.
func TestPlanOutputTPE(t *testing.T) {
	cfg, err := config.Parse(strings.NewReader(tpePlanSweep), config.ParseOptions{File: "plan.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	plan := func(db *store.DB) []byte {
		runner, err := search.NewRunner(t.Context(), cfg, search.RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		stages, err := runner.Plan(db)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := writePlan(&b, stages); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	golden(t, "plan-tpe-new.golden", plan(nil))

	db, err := store.Open(filepath.Join(t.TempDir(), "plan.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// One worker, stopped when the 4th trial (round 1's first) finishes.
	runner, err := search.NewRunner(t.Context(), cfg, search.RunOptions{Workers: 1, Observer: &cancelAfter{n: 4, cancel: cancel}})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Prepare(db); err != nil {
		t.Fatal(err)
	}
	if err := runner.Run(ctx, db); err == nil {
		t.Fatal("the run was not stopped")
	}
	golden(t, "plan-tpe-mid.golden", plan(db))

	if err := runner.Run(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan-tpe-done.golden", plan(db))
}

// sweep run says which round of a tpe stage each pass trains, with
// halving too (the rounds train its first rung), and no round once the
// rungs above it train.
func TestRunNamesTPERounds(t *testing.T) {
	at := strings.Index(tpePlanSweep, "    - name: th")
	for _, c := range []struct {
		name, yaml string
		want       []string
	}{
		{"plain", tpePlanSweep[:at], []string{
			"stage t: 3 trials, 3 to train\n  round 0 (startup) of rounds 0-2\n",
			"stage t: 5 trials, 2 to train\n  round 1 of rounds 0-2\n",
			"stage t: 7 trials, 2 to train\n  round 2 of rounds 0-2\n",
		}},
		{"halving", tpePlanSweep[:strings.Index(tpePlanSweep, "    - name: t\n")] + tpePlanSweep[at:], []string{
			"stage th: 3 trials, 3 to train\n  rung 1 of 2, 1 cycle: 3 trials\n  round 0 (startup) of rounds 0-2\n",
			"stage th: 4 trials, 1 to train\n  rung 1 of 2, 1 cycle: 4 trials\n  round 1 of rounds 0-2\n",
			"stage th: 5 trials, 1 to train\n  rung 1 of 2, 1 cycle: 5 trials\n  round 2 of rounds 0-2\n",
			"  rung 2 of 2, 2 cycles: 3 trials, the best of rung 1's 5\ntrial ", // no round line
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "plan.yaml"), []byte(c.yaml))
			r := mustSweep(t, dir, "run", "plan.yaml")
			for _, want := range c.want {
				if !strings.Contains(r.stderr+r.stdout, want) {
					t.Errorf("run output lacks %q:\n%s", want, r.stderr+r.stdout)
				}
			}
			// The last pass, which finds nothing more, repeats no line.
			if strings.Contains(r.stderr+r.stdout, ", 0 to train") {
				t.Errorf("run output repeats a finished stage:\n%s", r.stderr+r.stdout)
			}
		})
	}
}

// The plan of a stage run with 6 trials (round 2 cut to 1 point) whose
// trials grow to 9: round 2 stays 1 point, round 3 is proposed as a new
// round of 2.
func TestPlanTPEGrownStage(t *testing.T) {
	dir := t.TempDir()
	one := tpePlanSweep[:strings.Index(tpePlanSweep, "    - name: th")]
	writeFile(t, filepath.Join(dir, "plan.yaml"), []byte(strings.Replace(one, "trials: 7", "trials: 6", 1)))
	mustSweep(t, dir, "run", "plan.yaml")
	writeFile(t, filepath.Join(dir, "plan.yaml"), []byte(strings.Replace(one, "trials: 7", "trials: 9", 1)))
	r := mustSweep(t, dir, "run", "plan.yaml", "--plan")
	for _, want := range []string{
		"  round 2: decided, 1 point proposed from the 5 results before it; 1 of 1 trial finished\n",
		"  round 3: decided, 2 points proposed from the 6 results before it; 0 of 2 trials finished\n",
		"  round 4: not decided yet, 1 point remain",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, r.stdout)
		}
	}
}
