package search

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// tpeSweep has a tpe stage of 10 points (4 startup, then two rounds of 3)
// over three dimensions, and
// a tpe stage with halving: 7 points (3 startup, rounds of 2) trained to
// 1 cycle, then halved over rungs of 2 and 4 cycles.
const tpeSweep = `
name: tpe
seed: 7
data: {source: embedded}
model: {hidden: 8}
training:
  batch_size: 150
  step_size: 20
  cycles: 1
  records_per_cycle: 2
  eta_max: 0.05
search:
  stages:
    - name: t
      sampler: tpe
      trials: 10
      tpe: {startup: 4, batch: 3}
      space:
        lambda: {log10: [-5, -0.5]}
        eta_max: {loguniform: [0.005, 0.5]}
        hidden: {int: [4, 12]}
    - name: th
      sampler: tpe
      trials: 7
      tpe: {startup: 3, batch: 2}
      space:
        lambda: {log10: [-5, -0.5]}
        batch_size: {choice: [100, 150]}
      training: {cycles: 4}
      halving: {min_cycles: 1, eta: 2}
`

var tpeReference struct {
	once sync.Once
	path string
}

// tpeRun is the uninterrupted single-worker run of tpeSweep.
func tpeRun(t *testing.T) string {
	tpeReference.once.Do(func() {
		dir, err := os.MkdirTemp("", "sweep-tpe")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "ref.db")
		if err := sweepRun(context.Background(), t, parseConfig(t, tpeSweep), path, RunOptions{Workers: 1}, nil); err != nil {
			t.Fatal(err)
		}
		tpeReference.path = path
	})
	if tpeReference.path == "" {
		t.Fatal("the reference tpe run failed")
	}
	return tpeReference.path
}

// sameTPEStore is sameStore plus the stored proposals, bit for bit.
func sameTPEStore(t *testing.T, label, got, want string) {
	t.Helper()
	sameStore(t, label, got, want)
	gs, _ := readStages(t, got)
	ws, _ := readStages(t, want)
	for name, w := range ws {
		if g, wd := derivedOf(t, gs[name]), derivedOf(t, w); !reflect.DeepEqual(g.Proposed, wd.Proposed) {
			t.Fatalf("%s: stage %s proposed %v, want %v", label, name, g.Proposed, wd.Proposed)
		}
	}
}

func TestTPEStage(t *testing.T) {
	ref := tpeRun(t)
	stages, trials := readStages(t, ref)
	cfg := parseConfig(t, tpeSweep)

	ts := stages["t"]
	if len(ts.TrialIDs) != 10 {
		t.Fatalf("stage t lists %d trials, want 10", len(ts.TrialIDs))
	}
	d := derivedOf(t, ts)
	if d.Startup != 4 {
		t.Errorf("stage t: derived startup %d, want its 4 startup trials", d.Startup)
	}
	if len(d.Proposed) != 6 {
		t.Fatalf("stage t stored %d proposals, want 6 (two rounds of 3)", len(d.Proposed))
	}
	for _, p := range d.Proposed {
		if len(p) != 3 {
			t.Fatalf("proposal %v is not over the stage's 3 dimensions", p)
		}
	}
	// The startup points are a sobol stage's first points.
	sob := cfg.Search.Stages[0]
	sob.Sampler, sob.TPE = config.Sobol, nil
	want, _, err := Points(&sob, cfg.Seed, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range want {
		got := maps.Clone(trials[ts.TrialIDs[i]].Params)
		if !maps.Equal(got, p) {
			t.Errorf("startup point %d is %v, want sobol's %v", i, got, p)
		}
	}
	for _, id := range ts.TrialIDs {
		if s := trials[id].Status; !s.Final() {
			t.Errorf("trial %s is %s", id, s)
		}
	}

	// With halving: every round trains 1 cycle; then 7 -> 4 -> 2.
	th := stages["th"]
	byCycles := map[int]int{}
	for _, id := range th.TrialIDs {
		byCycles[trials[id].CyclesTrained]++
	}
	if want := map[int]int{1: 7, 2: 4, 4: 2}; !maps.Equal(byCycles, want) {
		t.Errorf("stage th: trials by cycles %v, want %v", byCycles, want)
	}
	if n := len(derivedOf(t, th).Proposed); n != 4 {
		t.Errorf("stage th stored %d proposals, want 4", n)
	}
}

func TestTPEIndependentOfWorkers(t *testing.T) {
	ref := tpeRun(t)
	path := filepath.Join(t.TempDir(), "w2.db")
	if err := sweepRun(t.Context(), t, parseConfig(t, tpeSweep), path, RunOptions{Workers: 2}, nil); err != nil {
		t.Fatal(err)
	}
	sameTPEStore(t, "2 workers", path, ref)
}

// A tpe sweep cancelled anywhere, in the middle of a round or between
// rounds, in either stage, and run again ends as the uninterrupted one.
func TestTPEResumeAfterCancel(t *testing.T) {
	ref := tpeRun(t)
	stops := []int{2, 10, 17, 25, 34, 44}
	if raceEnabled { // the race run needs the concurrency, not every stop point
		stops = []int{10, 34}
	}
	for _, stopAt := range stops {
		t.Run(fmt.Sprint(stopAt), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.db")
			runCancelledAt(t, tpeSweep, path, stopAt, 7)
			if err := sweepRun(t.Context(), t, parseConfig(t, tpeSweep), path, RunOptions{Workers: 2, CheckpointEvery: 7}, nil); err != nil {
				t.Fatal(err)
			}
			sameTPEStore(t, "resumed", path, ref)
		})
	}
}

// A tpe sweep killed with SIGKILL, mid-trial and mid-round, resumes
// exactly.
func TestTPEResumeAfterSIGKILL(t *testing.T) {
	ref := tpeRun(t)
	path := filepath.Join(t.TempDir(), "k.db")
	// Kill once more trials are finished each time and one is past its
	// first checkpoint, as the status snapshot shows.
	killChildThrice(t, path, "SWEEP_TEST_CHILD_TPE=1", func(kill int, snap store.StatusSnapshot) bool {
		finished := 0
		for _, st := range snap.Stages {
			finished += st.Counts[store.Done] + st.Counts[store.Diverged] + st.Counts[store.Promoted] + st.Counts[store.Pruned]
		}
		return finished >= 2+5*kill && len(snap.Running) > 0 && snap.Running[0].Step >= 5
	})
	if err := sweepRun(t.Context(), t, parseConfig(t, tpeSweep), path, RunOptions{Workers: 2}, nil); err != nil {
		t.Fatal(err)
	}
	sameTPEStore(t, "after SIGKILL", path, ref)
}

// A failed trial counts as the worst result and its round's successors are
// proposed without waiting for a retry; the next run retries it, and the
// proposals stored with the stage do not move when it then succeeds.
func TestTPEFailedTrialKeepsProposals(t *testing.T) {
	src := tpeSweep[:strings.Index(tpeSweep, "    - name: th")]
	path := filepath.Join(t.TempDir(), "f.db")
	var failID string
	failFirst := func(r *Runner) {
		r.trainFn = func(ctx context.Context, c train.Config, ds *train.Dataset, o train.Options) (*train.Result, error) {
			id, _ := TrialID(c, r.base.Info.Fingerprint)
			if failID == "" {
				failID = id
			}
			if id == failID {
				return nil, errors.New("injected failure")
			}
			return train.Train(ctx, c, ds, o)
		}
	}
	if err := sweepRun(t.Context(), t, parseConfig(t, src), path, RunOptions{Workers: 1}, failFirst); err != nil {
		t.Fatal(err)
	}
	stages, trials := readStages(t, path)
	first := derivedOf(t, stages["t"]).Proposed
	if len(stages["t"].TrialIDs) != 10 || len(first) != 6 || trials[failID].Status != store.Failed {
		t.Fatalf("after the failure: %d trials, %d proposals, the failed trial %s", len(stages["t"].TrialIDs), len(first), trials[failID].Status)
	}
	if err := sweepRun(t.Context(), t, parseConfig(t, src), path, RunOptions{Workers: 1}, nil); err != nil {
		t.Fatal(err)
	}
	stages2, trials := readStages(t, path)
	if trials[failID].Status != store.Done {
		t.Fatalf("the retried trial is %s", trials[failID].Status)
	}
	if !reflect.DeepEqual(derivedOf(t, stages2["t"]).Proposed, first) || !reflect.DeepEqual(stages2["t"].TrialIDs, stages["t"].TrialIDs) {
		t.Fatal("the proposals moved when the failed trial was retried")
	}
}

// A stored tpe stage refuses another tpe option, whose rounds it holds;
// more trials add rounds after the stored ones.
func TestTPEStageChange(t *testing.T) {
	ref := tpeRun(t)
	for _, c := range []struct {
		from, to string
		refused  bool
	}{
		{"tpe: {startup: 4, batch: 3}", "tpe: {startup: 4, batch: 2}", true},
		{"tpe: {startup: 4, batch: 3}", "tpe: {startup: 5, batch: 3}", true},
		{"trials: 10", "trials: 12", false},
	} {
		t.Run(c.to, func(t *testing.T) {
			r, err := NewRunner(t.Context(), parseConfig(t, strings.Replace(tpeSweep, c.from, c.to, 1)), RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			db, err := store.Open(ref, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			stages, err := r.Plan(db)
			if c.refused {
				if !errors.Is(err, ErrStageChanged) || !strings.Contains(err.Error(), "tpe was") {
					t.Fatalf("got %v, want ErrStageChanged naming tpe", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The 11th and 12th points are the next round, proposed now
			// from the 10 finished results.
			if got := len(stages[0].Plan.Trials); got != 12 {
				t.Fatalf("%d trials planned, want 12", got)
			}
			if rd := stages[0].Plan.Trials[11].Round; rd != 3 {
				t.Fatalf("the 12th point is of round %d, want 3", rd)
			}
		})
	}
}

// proposeRound moves towards the good points and away from the bad ones,
// and a round's points differ (the constant liar).
func TestProposeRound(t *testing.T) {
	ax := []axis{{name: "x", kind: config.Uniform, lo: 0, hi: 1, vlo: 0, vhi: 1}, {name: "c", kind: config.Choice, values: []float64{1, 2, 3}}}
	var xs [][]float64
	for i := range 5 {
		xs = append(xs, []float64{0.2 + 0.01*float64(i), 0.1}) // good: near 0.2, category 0
	}
	for i := range 15 {
		xs = append(xs, []float64{0.5 + 0.03*float64(i), 0.5}) // bad: above 0.5, category 1
	}
	out := proposeRound(ax, xs, 5, 4, rand.New(rand.NewPCG(1, 2)))
	if len(out) != 4 {
		t.Fatalf("%d proposals, want 4", len(out))
	}
	seen := map[float64]bool{}
	for _, p := range out {
		if p[0] < 0 || p[0] >= 1 || p[1] < 0 || p[1] >= 1 {
			t.Fatalf("proposal %v outside the unit cube", p)
		}
		if seen[p[0]] {
			t.Errorf("proposal %v repeats an earlier one of the round", p)
		}
		seen[p[0]] = true
	}
	if p := out[0]; p[0] > 0.4 || category(p[1], 3) == 1 {
		t.Errorf("the first proposal %v is not near the good points (x about 0.2, category 0 or 2)", p)
	}
	// Same inputs, same source: the same bits.
	if again := proposeRound(ax, xs, 5, 4, rand.New(rand.NewPCG(1, 2))); !reflect.DeepEqual(again, out) {
		t.Errorf("proposeRound is not a function of its inputs: %v, then %v", out, again)
	}
}

// tpeResults ranks complete trials by their metrics (a halving stage's
// promoted and pruned ones alike), then diverged and failed ones as the
// worst, in stage order; a round is undecided while any trial is pending
// or not stored.
func TestTPEResults(t *testing.T) {
	cfg := parseConfig(t, tpeSweep)
	r, err := NewRunner(t.Context(), cfg, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := &r.cfg.Search.Stages[0]
	data, err := r.stageData(st)
	if err != nil {
		t.Fatal(err)
	}
	ax, err := axes(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	units, err := sobolUnits(st, r.cfg.Seed, ax, 6)
	if err != nil {
		t.Fatal(err)
	}
	var ids [][]string
	h := &history{stages: map[string]store.Stage{}, trials: map[string]store.Trial{}}
	if _, _, ok, err := r.tpeResults(st, cfg, data, h, ax, units, &ids); ok || err != nil {
		t.Fatalf("decided with no trial stored (%v)", err)
	}
	acc := func(x float64) *float64 { return &x }
	statuses := []store.Status{store.Diverged, store.Done, store.Failed, store.Pruned, store.Promoted, store.Done}
	accs := []float64{0, 0.5, 0, 0.7, 0.6, 0.5}
	for i, s := range statuses {
		tr := store.Trial{ID: ids[i][0], Status: s}
		if s.Complete() {
			tr.Final = store.Metrics{ValAccuracy: acc(accs[i]), ValCost: acc(1 - accs[i])}
		}
		h.trials[tr.ID] = tr
	}
	pending := h.trials[ids[5][0]]
	pending.Status = store.Pending
	h.trials[ids[5][0]] = pending
	if _, _, ok, _ := r.tpeResults(st, cfg, data, h, ax, units, &ids); ok {
		t.Fatal("decided while a trial is pending")
	}
	h.trials[ids[5][0]] = store.Trial{ID: ids[5][0], Status: store.Done, Final: store.Metrics{ValAccuracy: acc(0.5), ValCost: acc(0.5)}}
	ranked, complete, ok, err := r.tpeResults(st, cfg, data, h, ax, units, &ids)
	if err != nil || !ok {
		t.Fatalf("undecided with every trial finished: %v", err)
	}
	// 3 (0.7), 4 (0.6), then 1 and 5 (0.5, equal cost: by id), then 0 and 2.
	tie := []int{1, 5}
	if ids[5][0] < ids[1][0] {
		tie = []int{5, 1}
	}
	want := append(append([]int{3, 4}, tie...), 0, 2)
	if complete != 4 || len(ranked) != 6 {
		t.Fatalf("%d ranked, %d complete; want 6 and 4", len(ranked), complete)
	}
	for k, i := range want {
		if !reflect.DeepEqual(ranked[k], units[i]) {
			t.Errorf("rank %d is not point %d", k, i)
		}
	}
}

// A small discrete space sampled many times repeats trials: the plan says
// so in one warning with the count, not a line per repeated point.
func TestPlanCollapsesDuplicateWarnings(t *testing.T) {
	for _, c := range []struct {
		sampler string
		dups    int
	}{
		{"random\n      trials: 50", 48},
		// Before results, a tpe stage plans its 8 startup points: 2 trials.
		{"tpe\n      trials: 50\n      tpe: {startup: 8, batch: 4}", 6},
	} {
		t.Run(strings.Fields(c.sampler)[0], func(t *testing.T) {
			cfg := parseConfig(t, `
name: dup
data: {source: embedded}
model: {hidden: 8}
training: {batch_size: 150, step_size: 20, cycles: 1}
search:
  stages:
    - name: s
      sampler: `+c.sampler+`
      space: {hidden: {choice: [8, 16]}}
`)
			r, err := NewRunner(t.Context(), cfg, RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			plans, err := r.Plan(nil)
			if err != nil {
				t.Fatal(err)
			}
			p := plans[0].Plan
			want := fmt.Sprintf(`stage "s": %d points repeat the trial of an earlier point`, c.dups)
			if len(p.Trials) != 2 || len(p.Warnings) != 1 || !strings.HasPrefix(p.Warnings[0], want) {
				t.Errorf("%d trials planned, warnings %q; want 2 trials and one warning %q...", len(p.Trials), p.Warnings, want)
			}
		})
	}
}

// A stage whose last round was cut short by its trials (9 = 4 startup, 3,
// then 2 of 3) and whose trials then grow to 12 proposes a new round 3 of
// 3 points, from round 3's own PCG stream, not a second round 2.
func TestTPEGrowsAfterAShortRound(t *testing.T) {
	one := tpeSweep[:strings.Index(tpeSweep, "    - name: th")]
	nine := strings.Replace(one, "trials: 10", "trials: 9", 1)
	path := filepath.Join(t.TempDir(), "grow.db")
	if err := sweepRun(t.Context(), t, parseConfig(t, nine), path, RunOptions{Workers: 2}, nil); err != nil {
		t.Fatal(err)
	}
	stages, _ := readStages(t, path)
	if d := derivedOf(t, stages["t"]); !reflect.DeepEqual(d.Rounds, []int{3, 2}) || len(d.Proposed) != 5 {
		t.Fatalf("9 trials stored rounds %v of %d proposals, want [3 2] of 5", d.Rounds, len(d.Proposed))
	}
	twelve := parseConfig(t, strings.Replace(one, "trials: 10", "trials: 12", 1))
	r, err := NewRunner(t.Context(), twelve, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	plans, err := r.Plan(db)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	p := plans[0].Plan
	var rounds []int
	for _, tr := range p.Trials {
		rounds = append(rounds, tr.Round)
	}
	if want := []int{0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3}; !reflect.DeepEqual(rounds, want) {
		t.Errorf("rounds of the planned trials %v, want %v", rounds, want)
	}
	if !reflect.DeepEqual(p.Derived.Rounds, []int{3, 2, 3}) {
		t.Errorf("rounds %v, want [3 2 3]", p.Derived.Rounds)
	}
	// Round 3 is round 3's stream: proposed again here from the stored
	// results in ranked order, it gives the planned points.
	st := &twelve.Search.Stages[0]
	ax, err := axes(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	db, err = store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h, err := loadHistory(db)
	if err != nil {
		t.Fatal(err)
	}
	data, err := r.stageData(st)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := r.stageConfig(st, h)
	if err != nil {
		t.Fatal(err)
	}
	units, err := sobolUnits(st, twelve.Seed, ax, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range p.Derived.Proposed[:5] {
		u := make([]float64, len(ax))
		for j, a := range ax {
			u[j] = q[a.name]
		}
		units = append(units, u)
	}
	var ids [][]string
	ranked, complete, ok, err := r.tpeResults(st, cfg, data, h, ax, units, &ids)
	if err != nil || !ok {
		t.Fatalf("results of the 9 trials: ok %v, %v", ok, err)
	}
	propose := func(round uint64) []map[string]float64 {
		rng := rand.New(rand.NewPCG(mix("tpe", twelve.Seed, st.Name, round)))
		var out []map[string]float64
		for _, u := range proposeRound(ax, ranked, tpeGood(len(ranked), complete), 3, rng) {
			q := map[string]float64{}
			for j, a := range ax {
				q[a.name] = u[j]
			}
			out = append(out, q)
		}
		return out
	}
	planned := p.Derived.Proposed[5:]
	if !reflect.DeepEqual(propose(3), planned) {
		t.Errorf("the new round's points %v are not round 3's stream's %v", planned, propose(3))
	}
	if reflect.DeepEqual(propose(2), planned) {
		t.Error("the new round's points are round 2's stream's")
	}
}
