package search

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// objective is a known function of a trial's settings that the test
// trains instead of a network: its validation accuracy, or diverged.
type objective struct {
	name  string
	space string
	acc   func(c train.Config) (float64, bool)
}

var objectives = []objective{
	{"1-D", `{lambda: {log10: [-6, 0]}}`, func(c train.Config) (float64, bool) {
		u := math.Log10(c.Lambda) + 3.7
		return 1 / (1 + u*u), true
	}},
	// A narrow optimum in three dimensions, and a region that diverges
	// (the largest rates), which TPE must learn to avoid.
	{"3-D", `{lambda: {log10: [-6, 0]}, eta_max: {loguniform: [0.001, 1]}, hidden: {int: [4, 64]}}`, func(c train.Config) (float64, bool) {
		if c.EtaMax > 0.4 {
			return 0, false
		}
		a, b, h := math.Log10(c.Lambda)+4.2, math.Log10(c.EtaMax)+1.6, float64(c.Hidden-23)/20
		return 1 / (1 + a*a + 4*b*b + h*h), true
	}},
}

// fakeTrain trains nothing: it records the objective as the trial's one
// validation accuracy, or diverges.
func fakeTrain(obj objective) func(context.Context, train.Config, *train.Dataset, train.Options) (*train.Result, error) {
	return func(ctx context.Context, c train.Config, ds *train.Dataset, o train.Options) (*train.Result, error) {
		acc, ok := obj.acc(c)
		if !ok {
			return nil, &train.DivergedError{Step: 1}
		}
		rec := train.Record{Step: 1, Epoch: 1, Eta: c.EtaMax, TrainAccuracy: acc, ValAccuracy: acc, ValCost: 1 - acc, ValLoss: 1 - acc}
		w := train.Weights{M: 1, D: ds.D, K: ds.K, W1: make([]float64, ds.D), B1: make([]float64, 1), W2: make([]float64, ds.K), B2: make([]float64, ds.K)}
		return &train.Result{History: []train.Record{rec}, Weights: w, Test: train.Metrics{Accuracy: acc}, Steps: 1}, nil
	}
}

// bestOf runs one stage of sampler over obj and returns the best
// validation accuracy of its trials.
func bestOf(t *testing.T, obj objective, sampler string, seed, trials int) float64 {
	src := fmt.Sprintf(`
name: obj
seed: %d
data: {source: embedded}
model: {hidden: 8}
training: {batch_size: 150, step_size: 20, cycles: 1, records_per_cycle: 1}
search:
  stages:
    - name: s
      sampler: %s
      trials: %d
      space: %s
`, seed, sampler, trials, obj.space)
	if sampler == "tpe" {
		src += "      tpe: {startup: 8, batch: 4}\n"
	}
	path := filepath.Join(t.TempDir(), "obj.db")
	err := sweepRun(t.Context(), t, parseConfig(t, src), path, RunOptions{Workers: 2}, func(r *Runner) { r.trainFn = fakeTrain(obj) })
	if err != nil {
		t.Fatal(err)
	}
	_, stored := stageLists(t, path)
	if len(stored) != trials {
		t.Fatalf("%s seed %d: %d trials stored, want %d", sampler, seed, len(stored), trials)
	}
	best := 0.0
	for _, tr := range stored {
		if tr.Status == store.Done {
			best = max(best, *tr.Final.ValAccuracy)
		}
	}
	return best
}

// TPE learns: over 20 seeds, its best after 24 trials (8 sobol startup
// points, then 4 rounds of 4) beats random search's at equal trials on
// average, on a 1-D and on a 3-D function.
func TestTPEBeatsRandomOnKnownObjectives(t *testing.T) {
	if raceEnabled {
		t.Skip("1600 trials of bookkeeping; the race run has the determinism tests")
	}
	const seeds, trials = 20, 24
	for _, obj := range objectives {
		t.Run(obj.name, func(t *testing.T) {
			var tpe, random float64
			wins := 0
			for seed := 1; seed <= seeds; seed++ {
				a, b := bestOf(t, obj, "tpe", seed, trials), bestOf(t, obj, "random", seed, trials)
				tpe, random = tpe+a/seeds, random+b/seeds
				if a > b {
					wins++
				}
			}
			t.Logf("%s: mean best %.4f (tpe) against %.4f (random); tpe better on %d of %d seeds", obj.name, tpe, random, wins, seeds)
			if tpe <= random {
				t.Errorf("%s: tpe's mean best %.4f is not above random's %.4f", obj.name, tpe, random)
			}
		})
	}
}
