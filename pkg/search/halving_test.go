package search

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// halvingSweep is a halving stage of 6 points over rungs of 1, 2 and 4
// cycles (6, then 3, then 2 trials), and a best stage asking for the 1-cycle
// training of the best 2, which the first rung already holds.
const halvingSweep = `
name: sh
seed: 7
data: {source: embedded}
model: {hidden: 8}
training:
  batch_size: 150
  step_size: 20
  cycles: 4
  records_per_cycle: 2
  eta_max: 0.05
search:
  stages:
    - name: sh
      sampler: sobol
      trials: 6
      space:
        lambda: {log10: [-4, -0.5]}
      halving: {min_cycles: 1, eta: 2}
    - name: again
      best: 2
      training: {cycles: 1}
`

func TestPromote(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	tr := func(id string, s store.Status, acc, cost float64) *store.Trial {
		return &store.Trial{ID: id, Status: s, Final: store.Metrics{ValAccuracy: f(acc), ValCost: f(cost)}}
	}
	for _, c := range []struct {
		name   string
		trials []*store.Trial
		eta    int
		want   []int
		ok     bool
	}{
		{"best third, in stage order", []*store.Trial{
			tr("a", store.Done, 0.5, 1), tr("b", store.Done, 0.9, 1), tr("c", store.Done, 0.7, 1),
			tr("d", store.Done, 0.8, 1), tr("e", store.Done, 0.1, 1), tr("f", store.Done, 0.2, 1),
		}, 3, []int{1, 3}, true},
		{"ceil(n/eta)", []*store.Trial{tr("a", store.Done, 0.5, 1), tr("b", store.Done, 0.6, 1), tr("c", store.Done, 0.7, 1)}, 2, []int{1, 2}, true},
		{"ties by cost, then id", []*store.Trial{
			tr("z", store.Done, 0.5, 1), tr("y", store.Done, 0.5, 2), tr("x", store.Done, 0.5, 1),
		}, 2, []int{0, 2}, true},
		{"diverged and failed count in n, never promoted", []*store.Trial{
			{ID: "a", Status: store.Diverged}, {ID: "b", Status: store.Failed}, tr("c", store.Done, 0.1, 1), {ID: "d", Status: store.Diverged},
		}, 2, []int{2}, true},
		{"none complete", []*store.Trial{{ID: "a", Status: store.Diverged}, {ID: "b", Status: store.Failed}}, 2, nil, true},
		{"marked ones rank by metrics alone", []*store.Trial{
			tr("a", store.Pruned, 0.9, 1), tr("b", store.Promoted, 0.1, 1), tr("c", store.Done, 0.5, 1),
		}, 3, []int{0}, true},
		{"undecided while one runs", []*store.Trial{tr("a", store.Done, 0.5, 1), {ID: "b", Status: store.Running}}, 2, nil, false},
		{"undecided while one is pending", []*store.Trial{{ID: "b", Status: store.Pending}, tr("a", store.Done, 0.5, 1)}, 2, nil, false},
		{"undecided while one is not stored", []*store.Trial{tr("a", store.Done, 0.5, 1), nil}, 2, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Promote(c.trials, c.eta)
			if ok != c.ok || !slices.Equal(got, c.want) {
				t.Errorf("Promote = %v, %v; want %v, %v", got, ok, c.want, c.ok)
			}
		})
	}
}

// The precondition of halving: a c-cycle run's history is the start of a
// longer run's, and training resumed from the c-cycle run's final state to
// C cycles equals training C cycles directly, bit for bit.
func TestRungTrainingIsAPrefix(t *testing.T) {
	ds, err := LoadData(t.Context(), config.DataSection{Source: config.SourceEmbedded})
	if err != nil {
		t.Fatal(err)
	}
	for _, prec := range []train.Precision{train.Float32, train.Float64} {
		for _, sched := range []train.Schedule{train.Triangular, train.Triangular2, train.ExpRange} {
			t.Run(fmt.Sprint(prec, sched), func(t *testing.T) {
				tc := train.DefaultConfig()
				tc.Hidden, tc.BatchSize, tc.StepSize, tc.RecordsPerCycle = 8, 150, train.StepSize{Updates: 15}, 3
				tc.Precision, tc.Schedule, tc.Shuffle, tc.Gamma = prec, sched, true, 0.99
				run := func(cycles int, resume *train.Checkpoint) *train.Result {
					c := tc
					c.Cycles = cycles
					res, err := train.Train(t.Context(), c, ds.Prepared, train.Options{Resume: resume})
					if err != nil {
						t.Fatal(err)
					}
					return res
				}
				short, long := run(1, nil), run(3, nil)
				if !reflect.DeepEqual(short.History, long.History[:len(short.History)]) {
					t.Fatalf("the 1-cycle history is not the start of the 3-cycle one")
				}
				if last := short.History[len(short.History)-1]; last.Step != short.Steps {
					t.Fatalf("the 1-cycle run's last record is at step %d, not its end %d", last.Step, short.Steps)
				}
				resumed := run(3, &train.Checkpoint{
					AlgorithmVersion: train.AlgorithmVersion, Precision: prec, Step: short.Steps,
					Weights: short.Weights, History: short.History,
				})
				sameBits := func(what string, a, b []float64) {
					t.Helper()
					if len(a) != len(b) {
						t.Fatalf("%s: %d values, want %d", what, len(a), len(b))
					}
					for i := range a {
						if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
							t.Fatalf("%s differs at %d: %v, want %v", what, i, a[i], b[i])
						}
					}
				}
				if !reflect.DeepEqual(resumed.History, long.History) {
					t.Errorf("resumed history differs from the direct run's")
				}
				sameBits("W1", resumed.Weights.W1, long.Weights.W1)
				sameBits("B1", resumed.Weights.B1, long.Weights.B1)
				sameBits("W2", resumed.Weights.W2, long.Weights.W2)
				sameBits("B2", resumed.Weights.B2, long.Weights.B2)
				sameBits("test", []float64{resumed.Test.Cost, resumed.Test.Loss, resumed.Test.Accuracy},
					[]float64{long.Test.Cost, long.Test.Loss, long.Test.Accuracy})
			})
		}
	}
}

// stageLists reads every stored stage's trial list and every trial's
// status and cycles trained.
func stageLists(t *testing.T, path string) (map[string][]string, map[string]store.Trial) {
	t.Helper()
	stages, trials := readStages(t, path)
	lists := map[string][]string{}
	for name, st := range stages {
		lists[name] = st.TrialIDs
	}
	return lists, trials
}

// sameStore checks that two halving databases hold the same stages, the
// same statuses and the same results bit for bit.
func sameStore(t *testing.T, label, got, want string) {
	t.Helper()
	gl, gt := stageLists(t, got)
	wl, wt := stageLists(t, want)
	if !reflect.DeepEqual(gl, wl) {
		t.Fatalf("%s: stage lists\n%v\nwant\n%v", label, gl, wl)
	}
	for id, w := range wt {
		if g := gt[id]; g.Status != w.Status || g.CyclesTrained != w.CyclesTrained {
			t.Fatalf("%s: trial %s is %s at %d cycles, want %s at %d", label, id, g.Status, g.CyclesTrained, w.Status, w.CyclesTrained)
		}
	}
	sameOutcomes(t, label, outcomes(t, got), outcomes(t, want))
}

var halvingReference struct {
	once    sync.Once
	path    string
	runs    map[string]int // trainings started, by trial
	resumed int            // of which from a checkpoint
}

// halvingRun is the uninterrupted single-worker run of halvingSweep.
func halvingRun(t *testing.T) string {
	halvingReference.once.Do(func() {
		dir, err := os.MkdirTemp("", "sweep-halving")
		if err != nil {
			t.Fatal(err)
		}
		halvingReference.path = filepath.Join(dir, "ref.db")
		counter := &startCounter{started: map[string]int{}}
		if err := sweepRun(context.Background(), t, parseConfig(t, halvingSweep), halvingReference.path, RunOptions{Workers: 1, Observer: counter}, nil); err != nil {
			t.Fatal(err)
		}
		halvingReference.runs, halvingReference.resumed = counter.started, counter.resumed
	})
	if halvingReference.runs == nil {
		t.Fatal("the reference halving run failed")
	}
	return halvingReference.path
}

func TestHalvingStage(t *testing.T) {
	ref := halvingRun(t)
	lists, trials := stageLists(t, ref)
	sh := lists["sh"]
	if len(sh) != 6+3+2 {
		t.Fatalf("stage sh lists %d trials, want 6 + 3 + 2", len(sh))
	}
	byCycles := map[int]map[store.Status]int{}
	for _, id := range sh {
		tr := trials[id]
		if byCycles[tr.CyclesTrained] == nil {
			byCycles[tr.CyclesTrained] = map[store.Status]int{}
		}
		byCycles[tr.CyclesTrained][tr.Status]++
	}
	want := map[int]map[store.Status]int{
		1: {store.Promoted: 3, store.Pruned: 3},
		2: {store.Promoted: 2, store.Pruned: 1},
		4: {store.Done: 2},
	}
	if !reflect.DeepEqual(byCycles, want) {
		t.Fatalf("trials by cycles and status %v, want %v", byCycles, want)
	}
	// Every trial was trained once, in one segment per rung; the best
	// stage found its 1-cycle trainings in the first rung and trained none.
	for id, n := range halvingReference.runs {
		if n != 1 || !slices.Contains(sh, id) {
			t.Errorf("trial %s was started %d times", id, n)
		}
	}
	if len(halvingReference.runs) != len(sh) {
		t.Errorf("%d trials trained, want %d", len(halvingReference.runs), len(sh))
	}
	// The promoted trials continued from their rungs, not from the start.
	if halvingReference.resumed != 3+2 {
		t.Errorf("%d trials resumed from a rung, want 5", halvingReference.resumed)
	}
	again := lists["again"]
	if len(again) != 2 {
		t.Fatalf("stage again lists %v", again)
	}
	for _, id := range again {
		if tr := trials[id]; tr.CyclesTrained != 1 || tr.Status != store.Promoted {
			t.Errorf("best stage trial %s: %s at %d cycles, want a promoted 1-cycle trial", id, tr.Status, tr.CyclesTrained)
		}
	}
	// A continued trial's seconds include its rung below.
	for _, id := range sh {
		tr := trials[id]
		if tr.Status == store.Done && tr.Seconds <= 0 {
			t.Errorf("trial %s has %g seconds", id, tr.Seconds)
		}
	}

	// Each rung trial is the trial of its settings trained directly for
	// its cycles: same id, same bits.
	refOut := outcomes(t, ref)
	for _, cycles := range []int{1, 2, 4} {
		plain := strings.Replace(strings.Replace(halvingSweep, "cycles: 4", fmt.Sprintf("cycles: %d", cycles), 1), "      halving: {min_cycles: 1, eta: 2}\n", "", 1)
		plain = plain[:strings.Index(plain, "    - name: again")]
		path := filepath.Join(t.TempDir(), "plain.db")
		if err := sweepRun(t.Context(), t, parseConfig(t, plain), path, RunOptions{Workers: 2}, nil); err != nil {
			t.Fatal(err)
		}
		direct := outcomes(t, path)
		matched := 0
		for id, o := range refOut {
			d, ok := direct[id]
			if !ok {
				continue
			}
			matched++
			o.status = d.status // pruned or promoted there, done here
			sameOutcomes(t, fmt.Sprintf("%d cycles", cycles), map[string]outcome{id: o}, map[string]outcome{id: d})
		}
		if want := map[int]int{1: 6, 2: 3, 4: 2}[cycles]; matched != want {
			t.Errorf("%d cycles: %d rung trials match a direct trial, want %d", cycles, matched, want)
		}
	}
}

func TestHalvingIndependentOfWorkers(t *testing.T) {
	ref := halvingRun(t)
	path := filepath.Join(t.TempDir(), "w2.db")
	if err := sweepRun(t.Context(), t, parseConfig(t, halvingSweep), path, RunOptions{Workers: 2}, nil); err != nil {
		t.Fatal(err)
	}
	sameStore(t, "2 workers", path, ref)
}

// A halving sweep cancelled anywhere, in the middle of a rung or between
// rungs, and run again ends as the uninterrupted one.
func TestHalvingResumeAfterCancel(t *testing.T) {
	ref := halvingRun(t)
	for _, stopAt := range []int{2, 9, 15, 20, 26} {
		t.Run(fmt.Sprint(stopAt), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.db")
			runCancelledAt(t, halvingSweep, path, stopAt, 7)
			if err := sweepRun(t.Context(), t, parseConfig(t, halvingSweep), path, RunOptions{Workers: 2, CheckpointEvery: 7}, nil); err != nil {
				t.Fatal(err)
			}
			sameStore(t, "resumed", path, ref)
		})
	}
}

// A halving sweep killed with SIGKILL in the middle of its rungs resumes
// exactly.
func TestHalvingResumeAfterSIGKILL(t *testing.T) {
	ref := halvingRun(t)
	path := filepath.Join(t.TempDir(), "k.db")
	// Kill once a trial of a later rung each time is past a checkpoint,
	// as the status snapshot shows.
	killChildThrice(t, path, "SWEEP_TEST_CHILD_HALVING=1", func(kill int, snap store.StatusSnapshot) bool {
		return len(snap.Running) > 0 && snap.Running[0].Step >= 10+40*kill
	})
	if err := sweepRun(t.Context(), t, parseConfig(t, halvingSweep), path, RunOptions{Workers: 2}, nil); err != nil {
		t.Fatal(err)
	}
	sameStore(t, "after SIGKILL", path, ref)
}

// A failed trial counts in its rung's n and is not promoted; retried by a
// later run, it is trained again but the rung's decision stands. A refine
// stage after a halving stage builds on the done trials of its last rung.
func TestHalvingFailedTrialAndRefine(t *testing.T) {
	src := halvingSweep[:strings.Index(halvingSweep, "    - name: again")] + `    - name: fine
      after: sh
      sampler: random
      trials: 1
      space: {lambda: {log10: refine}}
      refine: {top: 2, margin: 0.25}
      training: {cycles: 1}
`
	path := filepath.Join(t.TempDir(), "f.db")
	var failed float64 // the lambda of the first trial trained, which fails
	failFirst := func(r *Runner) {
		r.trainFn = func(ctx context.Context, c train.Config, ds *train.Dataset, o train.Options) (*train.Result, error) {
			if failed == 0 {
				failed = c.Lambda
			}
			if c.Lambda == failed && c.Cycles == 1 {
				return nil, errors.New("injected failure")
			}
			return train.Train(ctx, c, ds, o)
		}
	}
	if err := sweepRun(t.Context(), t, parseConfig(t, src), path, RunOptions{Workers: 1}, failFirst); err != nil {
		t.Fatal(err)
	}
	lists, trials := stageLists(t, path)
	sh := lists["sh"]
	if len(sh) != 6+3+2 {
		t.Fatalf("stage sh lists %d trials, want 6 + 3 + 2 (the failed trial counts in n)", len(sh))
	}
	var failedID string
	for _, id := range sh[:6] {
		if trials[id].Status == store.Failed {
			failedID = id
		}
	}
	if failedID == "" || trials[failedID].Params["lambda"] != failed {
		t.Fatalf("no failed first-rung trial of lambda %g", failed)
	}
	for _, id := range sh[6:] {
		if trials[id].Params["lambda"] == failed {
			t.Fatalf("the failed trial went on to trial %s", id)
		}
	}
	// The done trials of the last rung, best first, are what fine refines.
	var last []store.Trial
	for _, id := range sh[9:] {
		last = append(last, trials[id])
	}
	store.Rank(last)
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	fine, err := db.Stage("fine")
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	d, err := config.DecodeDerived(fine.Derived)
	if err != nil || !slices.Equal(d.From, []string{last[0].ID, last[1].ID}) {
		t.Fatalf("fine refines from %v (%v), want the last rung's %s %s", d.From, err, last[0].ID, last[1].ID)
	}

	// A run without the failure trains the failed trial; the decision stands.
	if err := sweepRun(t.Context(), t, parseConfig(t, src), path, RunOptions{Workers: 2}, nil); err != nil {
		t.Fatal(err)
	}
	again, trials := stageLists(t, path)
	if !slices.Equal(again["sh"], sh) {
		t.Fatalf("stage sh changed after the retry:\n%v\nwant\n%v", again["sh"], sh)
	}
	if s := trials[failedID].Status; s != store.Pruned {
		t.Errorf("the retried trial is %s, want pruned: its rung was decided without it", s)
	}
}

// A stored halving stage refuses a change of its halving option, which
// decided its rungs, and grows by more rungs when its cycles grow.
func TestHalvingStageChange(t *testing.T) {
	base := halvingSweep[:strings.Index(halvingSweep, "    - name: again")]
	path := filepath.Join(t.TempDir(), "c.db")
	if err := sweepRun(t.Context(), t, parseConfig(t, base), path, RunOptions{Workers: 2}, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := stageLists(t, path)
	for _, change := range []struct{ old, new string }{
		{"eta: 2}", "eta: 3}"},
		{"      halving: {min_cycles: 1, eta: 2}\n", ""},
	} {
		r, err := NewRunner(t.Context(), parseConfig(t, strings.Replace(base, change.old, change.new, 1)), RunOptions{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		db, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = r.Run(t.Context(), db)
		db.Close()
		if !errors.Is(err, ErrStageChanged) || !strings.Contains(err.Error(), "halving was") {
			t.Errorf("%q -> %q: %v, want ErrStageChanged naming halving", change.old, change.new, err)
		}
	}
	if after, _ := stageLists(t, path); !reflect.DeepEqual(after, before) {
		t.Fatalf("a refused change wrote the stage")
	}
	// 8 cycles: the 4-cycle trials become a rung, and the best goes on.
	if err := sweepRun(t.Context(), t, parseConfig(t, strings.Replace(base, "cycles: 4", "cycles: 8", 1)), path, RunOptions{Workers: 2}, nil); err != nil {
		t.Fatal(err)
	}
	lists, trials := stageLists(t, path)
	if got := lists["sh"]; len(got) != 6+3+2+1 || !slices.Equal(got[:11], before["sh"]) {
		t.Fatalf("stage sh after growing to 8 cycles: %v", got)
	}
	if last := trials[lists["sh"][11]]; last.Status != store.Done || last.CyclesTrained != 8 {
		t.Errorf("the 8-cycle trial is %s at %d cycles", last.Status, last.CyclesTrained)
	}
}

// killChildThrice runs this test binary as a child sweep on path (env
// selects which) three times, SIGKILLs it each time once ready says so of
// its status snapshot (or the sweep has ended), and fails the test if no
// trial was left running by any kill.
func killChildThrice(t *testing.T, path, env string, ready func(kill int, snap store.StatusSnapshot) bool) {
	t.Helper()
	killedMid := 0
	for kill := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "SWEEP_TEST_CHILD="+path, env)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			snap, err := store.ReadStatus(path)
			if err == nil && (!snap.Live || ready(kill, snap)) {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		_, trials := stageLists(t, path)
		for _, tr := range trials {
			if tr.Status == store.Running {
				killedMid++
			}
		}
	}
	if killedMid == 0 {
		t.Fatal("no trial was running when the sweep was killed; the test proved nothing")
	}
}
