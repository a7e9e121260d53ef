package search

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// tinyBase is tinySweep without its search section.
var tinyBase = tinySweep[:strings.Index(tinySweep, "search:")]

func readStages(t *testing.T, path string) (map[string]store.Stage, map[string]store.Trial) {
	t.Helper()
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stages, err := db.Stages()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]store.Stage{}
	for _, s := range stages {
		byName[s.Name] = s
	}
	trials := map[string]store.Trial{}
	err = db.ForEachTrial(func(tr store.Trial) error { trials[tr.ID] = tr; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return byName, trials
}

func derivedOf(t *testing.T, s store.Stage) config.Derived {
	t.Helper()
	var d config.Derived
	if err := json.Unmarshal(s.Derived, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// failLambdas makes training fail for the given lambdas.
func failLambdas(lambdas ...float64) func(*Runner) {
	return func(r *Runner) {
		r.trainFn = func(ctx context.Context, c train.Config, ds *train.Dataset, o train.Options) (*train.Result, error) {
			for _, l := range lambdas {
				if math.Abs(c.Lambda-l) < 1e-12 {
					return nil, errors.New("injected failure")
				}
			}
			return train.Train(ctx, c, ds, o)
		}
	}
}

const coarseFine = `
search:
  stages:
    - name: coarse
      sampler: grid
      trials: 4
      space: {lambda: {log10: [-4, -1]}}
    - name: fine
      after: coarse
      sampler: random
      trials: 3
      space: {lambda: {log10: refine}}
      refine: {top: TOP, margin: 0.25}
`

func TestRefineRanges(t *testing.T) {
	for _, tc := range []struct {
		name   string
		top    string
		fail   []float64
		wantN  int // trials the range comes from
		errSub string
	}{
		{"top 2 of 4", "2", nil, 2, ""},
		{"fewer done than top", "3", []float64{1e-4, 1e-3, 1e-2}, 1, ""},
		{"none done", "3", []float64{1e-4, 1e-3, 1e-2, 1e-1}, 0, `stage "fine": no done trials to build on: stage "coarse" has none done`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := parseConfig(t, tinyBase+strings.Replace(coarseFine, "TOP", tc.top, 1))
			path := filepath.Join(t.TempDir(), "r.db")
			err := sweepRun(t.Context(), t, cfg, path, RunOptions{Workers: 2}, failLambdas(tc.fail...))
			if tc.errSub != "" {
				if !errors.Is(err, ErrNothingToRefine) || !strings.Contains(err.Error(), tc.errSub) {
					t.Fatalf("err = %v, want %q", err, tc.errSub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			stages, trials := readStages(t, path)
			var done []store.Trial
			for _, id := range stages["coarse"].TrialIDs {
				if trials[id].Status == store.Done {
					done = append(done, trials[id])
				}
			}
			store.Rank(done)
			done = done[:tc.wantN]
			lo, hi := math.Inf(1), math.Inf(-1)
			var from []string
			for _, tr := range done {
				lo, hi = min(lo, math.Log10(tr.Params["lambda"])), max(hi, math.Log10(tr.Params["lambda"]))
				from = append(from, tr.ID)
			}
			d := derivedOf(t, stages["fine"])
			got := d.Ranges["lambda"]
			if math.Abs(got.Lo-(lo-0.25)) > 1e-12 || math.Abs(got.Hi-(hi+0.25)) > 1e-12 || !slices.Equal(d.From, from) {
				t.Fatalf("fine range %+v from %v, want [%g, %g] from %v", got, d.From, lo-0.25, hi+0.25, from)
			}
			for _, id := range stages["fine"].TrialIDs {
				u := math.Log10(trials[id].Params["lambda"])
				if u < got.Lo || u > got.Hi {
					t.Fatalf("fine trial lambda 10^%g outside %+v", u, got)
				}
			}
		})
	}
}

// A best stage layers base ← the source trial's stage overrides ← its
// params ← its own overrides, and retrains only what differs.
func TestBestStageLayering(t *testing.T) {
	yaml := tinyBase + `
search:
  stages:
    - name: coarse
      sampler: grid
      trials: 3
      space: {lambda: {log10: [-4, -2]}}
      model: {hidden: 6}
    - name: final
      after: coarse
      best: 1
      training: {cycles: 2}
`
	path := filepath.Join(t.TempDir(), "b.db")
	if err := sweepRun(t.Context(), t, parseConfig(t, yaml), path, RunOptions{Workers: 2}, nil); err != nil {
		t.Fatal(err)
	}
	stages, trials := readStages(t, path)
	d := derivedOf(t, stages["final"])
	var coarse []store.Trial
	for _, id := range stages["coarse"].TrialIDs {
		coarse = append(coarse, trials[id])
	}
	store.Rank(coarse)
	if len(d.Sources) != 1 || d.Sources[0] != coarse[0].ID {
		t.Fatalf("final sources %v, want the best coarse trial %s", d.Sources, coarse[0].ID)
	}
	final := trials[stages["final"].TrialIDs[0]]
	var settings map[string]any
	if err := json.Unmarshal(final.Config, &settings); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"hidden": 6.0, "cycles": 2.0, "lambda": coarse[0].Params["lambda"], "batch_size": 150.0, "step_size": 20.0}
	for k, v := range want {
		if settings[k] != v {
			t.Errorf("final %s = %v, want %v (settings %v)", k, settings[k], v, settings)
		}
	}
	if final.Status != store.Done || stages["final"].Reused[0] {
		t.Fatalf("final trial %s reused=%v; it differs from its source and must be trained", final.Status, stages["final"].Reused[0])
	}
}

func TestSeedsAndReuse(t *testing.T) {
	yaml := tinyBase + `
search:
  stages:
    - name: coarse
      sampler: grid
      trials: 2
      seeds: 2
      space: {lambda: {log10: [-4, -2]}}
    - name: again
      after: coarse
      best: 1
`
	path := filepath.Join(t.TempDir(), "s.db")
	counter := &startCounter{started: map[string]int{}}
	if err := sweepRun(t.Context(), t, parseConfig(t, yaml), path, RunOptions{Workers: 2, Observer: counter}, nil); err != nil {
		t.Fatal(err)
	}
	stages, trials := readStages(t, path)
	coarse := stages["coarse"].TrialIDs
	if len(coarse) != 4 {
		t.Fatalf("2 configurations x 2 seeds gave %d trials", len(coarse))
	}
	for i, id := range coarse {
		tr := trials[id]
		if tr.SeedIndex != i%2 || tr.Seed != SeedStream(7, i%2) || tr.Params["lambda"] != trials[coarse[i/2*2]].Params["lambda"] {
			t.Fatalf("trial %d: seed index %d seed %d lambda %g", i, tr.SeedIndex, tr.Seed, tr.Params["lambda"])
		}
	}
	if trials[coarse[0]].Seed != 7 {
		t.Fatal("seed stream 0 must be the sweep's seed")
	}
	// The best stage without overrides asks for a trial coarse trained: it
	// is listed again, marked reused, and not trained twice.
	again := stages["again"]
	if len(again.TrialIDs) != 1 || !again.Reused[0] || !slices.Contains(coarse, again.TrialIDs[0]) {
		t.Fatalf("again lists %v reused %v", again.TrialIDs, again.Reused)
	}
	if len(counter.started) != 4 {
		t.Fatalf("%d trials trained, want 4", len(counter.started))
	}
}

func TestSweepGrowsByAppendingOnly(t *testing.T) {
	random := func(trials string) string {
		return tinyBase + `
search:
  stages:
    - name: explore
      sampler: random
      trials: ` + trials + `
      space: {lambda: {log10: [-4, -2]}}
`
	}
	path := filepath.Join(t.TempDir(), "g.db")
	if err := sweepRun(t.Context(), t, parseConfig(t, random("2")), path, RunOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := readStages(t, path)

	// More trials on a random stage: only the new ones train.
	counter := &startCounter{started: map[string]int{}}
	if err := sweepRun(t.Context(), t, parseConfig(t, random("3")), path, RunOptions{Observer: counter}, nil); err != nil {
		t.Fatal(err)
	}
	after, _ := readStages(t, path)
	ids := after["explore"].TrialIDs
	if len(ids) != 3 || !slices.Equal(ids[:2], before["explore"].TrialIDs) || len(counter.started) != 1 || counter.started[ids[2]] != 1 {
		t.Fatalf("after raising trials: %v (was %v), trained %v", ids, before["explore"].TrialIDs, counter.started)
	}

	// An appended stage: only it trains.
	counter = &startCounter{started: map[string]int{}}
	grown := random("3") + `    - name: more
      sampler: grid
      trials: 1
      space: {lambda: 0.05}
`
	if err := sweepRun(t.Context(), t, parseConfig(t, grown), path, RunOptions{Observer: counter}, nil); err != nil {
		t.Fatal(err)
	}
	if len(counter.started) != 1 {
		t.Fatalf("appending a stage trained %v", counter.started)
	}

	// Anything else that changes a stored stage's trials is refused.
	for _, tc := range []struct{ name, yaml, want string }{
		{"fewer trials", random("2"), `stage "explore"`},
		{"another range", strings.Replace(random("3"), "[-4, -2]", "[-5, -2]", 1), `space was {"lambda":{"log10":[-4,-2]}}, is now {"lambda":{"log10":[-5,-2]}}`},
		{"other base settings", strings.Replace(random("3"), "hidden: 8", "hidden: 9", 1), "the settings it inherits changed: hidden was 8, is now 9"},
	} {
		r, err := NewRunner(t.Context(), parseConfig(t, tc.yaml), RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		db, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = r.Prepare(db)
		if err == nil {
			err = r.Run(t.Context(), db)
		}
		db.Close()
		if !errors.Is(err, ErrStageChanged) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "start a new sweep") {
			t.Errorf("%s: err = %v, want ErrStageChanged mentioning %q", tc.name, err, tc.want)
		}
	}
	final, _ := readStages(t, path)
	if !slices.Equal(final["explore"].TrialIDs, ids) {
		t.Fatal("a refused change altered the stored stage")
	}
}

// A database whose stage spec an earlier release wrote, with a step size
// in updates spelled "30", continues: nothing is retrained, and a real
// change is still named key by key.
func TestStoredLegacySpecContinues(t *testing.T) {
	src := tinyBase + `
search:
  stages:
    - name: s
      sampler: grid
      trials: 2
      space: {lambda: {log10: [-4, -2]}}
      training: {step_size: 30}
`
	path := filepath.Join(t.TempDir(), "l.db")
	if err := sweepRun(t.Context(), t, parseConfig(t, src), path, RunOptions{Workers: 2}, nil); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	stages, err := db.Stages()
	if err != nil {
		t.Fatal(err)
	}
	st := stages[0]
	if !strings.Contains(string(st.Spec), `"step_size":30`) {
		t.Fatalf("spec %s", st.Spec)
	}
	st.Spec = []byte(strings.Replace(string(st.Spec), `"step_size":30`, `"step_size":"30"`, 1))
	if err := db.PutStage(st); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// The old spelling decodes, so a real change is named by value...
	changed := strings.Replace(src, "step_size: 30", "step_size: 40", 1)
	err = sweepRun(t.Context(), t, parseConfig(t, changed), path, RunOptions{Workers: 2}, nil)
	if !errors.Is(err, ErrStageChanged) || !strings.Contains(err.Error(), `training was {"step_size":30}, is now {"step_size":40}`) {
		t.Errorf("changed step size: %v", err)
	}
	// ...and the unchanged config trains nothing.
	trainedAgain := false
	err = sweepRun(t.Context(), t, parseConfig(t, src), path, RunOptions{Workers: 2}, func(r *Runner) {
		r.trainFn = func(ctx context.Context, c train.Config, ds *train.Dataset, o train.Options) (*train.Result, error) {
			trainedAgain = true
			return train.Train(ctx, c, ds, o)
		}
	})
	if err != nil || trainedAgain {
		t.Fatalf("rerun over the old spec: %v, trained again %v", err, trainedAgain)
	}
}
