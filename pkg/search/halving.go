package search

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// A halving stage (config.Halving) trains its points rung by rung. The
// trial of a point at a rung of c cycles is the trial of the point's
// settings with cycles: c, with that trial's id, so any stage that asks for
// the same training finds it. Its training is the same as training c
// cycles directly: the schedules depend on the step alone, the batch order
// on (seed, epoch), and a c-cycle run's last record falls on the cycle's
// end; so a promoted trial resumes from the final state of the rung trial
// before it (see rungCheckpoint) and ends bit-identical to a trial trained
// from the start.
//
// Every decision is a pure function of stored trials (Promote), made only
// once every trial of the rung is finished, and once the next rung's trials
// are listed in the stored stage the planner takes them from there: the
// result is the same for any number of workers, any interruption, and for a
// coordinator that decides from its database alone.

// Rung is one rung of a halving stage's plan.
type Rung struct {
	Cycles int
	// Trials are the positions in StagePlan.Trials of the rung's trials.
	Trials []int
	// Decided is set once every trial of the rung has finished (and on
	// the last rung never); Promoted and Pruned are then the ids of the
	// trials that continue and of the done ones that stop. Diverged and
	// failed trials are in neither.
	Decided          bool
	Promoted, Pruned []string
}

// Promote decides a rung of eta: the positions in trials (the rung's
// trials, in stage order) of the best ceil(n/eta), n counting every trial,
// ranked as store.Rank ranks done trials (validation accuracy, then
// validation cost, then id). Only complete trials (done, or already marked
// pruned or promoted) are promoted, so fewer continue when fewer are
// complete. ok is false, and nothing is promoted, while any trial is
// missing (nil) or unfinished: a failed trial counts as finished.
func Promote(trials []*store.Trial, eta int) (promoted []int, ok bool) {
	var complete []store.Trial
	pos := map[string]int{}
	for i, t := range trials {
		if t == nil || !(t.Status.Final() || t.Status == store.Failed) {
			return nil, false
		}
		if t.Status.Complete() {
			c := *t
			c.Status, c.CyclesTrained = store.Done, 0 // rank by metrics alone
			complete = append(complete, c)
			pos[t.ID] = i
		}
	}
	store.Rank(complete)
	keep := min(len(complete), (len(trials)+eta-1)/eta)
	for _, t := range complete[:keep] {
		promoted = append(promoted, pos[t.ID])
	}
	slices.Sort(promoted) // the next rung lists them in stage order
	return promoted, true
}

// planRungs turns the points of a halving stage's plan (its trials at the
// stage's full cycles) into rung trials: every point at the first rung,
// and the promoted ones at each rung that is decided. A rung whose next
// rung the stored stage lists already (storedIDs) keeps that decision.
func (r *Runner) planRungs(plan *StagePlan, h *history, storedIDs []string, earlier map[string]bool) error {
	st := plan.Stage
	points := plan.Trials
	plan.Trials = nil
	if len(points) == 0 {
		return nil
	}
	cycles := points[0].Config.Cycles
	rungs := st.Halving.Rungs(cycles)
	plan.RungCycles = rungs
	listed := map[string]bool{}
	for _, id := range storedIDs {
		listed[id] = true
	}
	current := make([]int, len(points)) // points at this rung
	for i := range current {
		current[i] = i
	}
	from := make([]string, len(points)) // each point's trial at the rung below
	for k, c := range rungs {
		rung := Rung{Cycles: c}
		for _, p := range current {
			t := points[p]
			if t.Config.Cycles != cycles {
				return fmt.Errorf("search: stage %q: a halving stage's trials must all train %d cycles, got %d", st.Name, cycles, t.Config.Cycles)
			}
			t.Config.Cycles = c
			id, err := TrialID(t.Config, t.Data.Info.Fingerprint)
			if err != nil {
				return err
			}
			t.ID, t.Index, t.Reused = id, len(plan.Trials), earlier[id]
			t.Rung, t.Point, t.From = k, p, from[p]
			if k > 0 {
				t.FromCycles = rungs[k-1]
			}
			rung.Trials = append(rung.Trials, len(plan.Trials))
			plan.Trials = append(plan.Trials, t)
			from[p] = id
		}
		plan.Rungs = append(plan.Rungs, rung)
		// A tpe stage decides its first rung once every round is there.
		if k == len(rungs)-1 || st.TPE != nil && st.TPE.Startup+len(plan.Derived.Proposed) < st.Trials {
			break
		}
		ids := make([]string, len(rung.Trials))
		for i, j := range rung.Trials {
			ids[i] = plan.Trials[j].ID
		}
		next, ok := r.storedPromotions(points, current, rungs[k+1], listed)
		if !ok {
			records := make([]*store.Trial, len(ids))
			for i, id := range ids {
				if t, found := h.trials[id]; found {
					records[i] = &t
				}
			}
			var promoted []int
			if promoted, ok = Promote(records, st.Halving.Eta); !ok {
				break
			}
			next = next[:0]
			for _, i := range promoted {
				next = append(next, current[i])
			}
		}
		last := &plan.Rungs[k]
		last.Decided = true
		up := map[int]bool{}
		for _, p := range next {
			up[p] = true
		}
		for i, p := range current {
			switch t := h.trials[ids[i]]; {
			case up[p]:
				last.Promoted = append(last.Promoted, ids[i])
			case t.Status.Complete():
				last.Pruned = append(last.Pruned, ids[i])
			}
		}
		current = next
		if len(current) == 0 {
			break
		}
	}
	return nil
}

// doneIn reports whether t, listed by the stage called stage, is one of
// that stage's done trials, which refine and best stages build on. On a
// halving stage those are the done trials of its last rung; on any other
// stage every complete trial is done, also one that a halving stage
// listing it too has pruned or promoted.
func (r *Runner) doneIn(stage string, t store.Trial) bool {
	for i := range r.cfg.Search.Stages {
		if st := &r.cfg.Search.Stages[i]; st.Name == stage && st.Halving != nil {
			return t.Status == store.Done
		}
	}
	return t.Status.Complete()
}

// markRungs writes the decisions of the plan's decided rungs on their
// trials' statuses, where they are not there yet, and moves those trials
// in counts (the stage's trials by status).
func (r *Runner) markRungs(plan *StagePlan, h *history, counts map[store.Status]int) error {
	var promoted, pruned []string
	moved := map[store.Status]int{}
	for _, rung := range plan.Rungs {
		for _, set := range []struct {
			ids    []string
			status store.Status
			out    *[]string
		}{{rung.Promoted, store.Promoted, &promoted}, {rung.Pruned, store.Pruned, &pruned}} {
			for _, id := range set.ids {
				if was := h.trials[id].Status; was != set.status {
					*set.out = append(*set.out, id)
					moved[was]--
					moved[set.status]++
				}
			}
		}
	}
	if len(promoted)+len(pruned) == 0 {
		return nil
	}
	if err := r.timed(func() error { return r.db.MarkRung(promoted, pruned) }); err != nil {
		return err
	}
	for s, n := range moved {
		counts[s] += n
	}
	return nil
}

// checkDecisionsUnchanged refuses a change of a stored stage's halving or
// tpe option: the rungs and rounds it decided were decided with the stored
// one. (A larger training.cycles is allowed: it adds rungs after the stored
// ones; more trials add rounds.)
func checkDecisionsUnchanged(st *config.Stage, stored store.Stage) error {
	was, err := config.DecodeStage(stored.Spec)
	if err != nil {
		return fmt.Errorf("search: stage %q: stored spec: %w", st.Name, err)
	}
	if reflect.DeepEqual(was.Halving, st.Halving) && reflect.DeepEqual(was.TPE, st.TPE) || len(stored.TrialIDs) == 0 {
		return nil
	}
	what, err := specDiff(stored.Spec, st)
	if err != nil {
		return err
	}
	return fmt.Errorf("search: stage %q: %w: %s; its %d trials are stored. Undo the change, or start a new sweep (another name or --db FILE)",
		st.Name, ErrStageChanged, what, len(stored.TrialIDs))
}

// storedPromotions returns the points among current whose trial at the
// next rung (of cycles) the stored stage lists: a decision made before,
// which stands. ok is false when it lists none.
func (r *Runner) storedPromotions(points []PlannedTrial, current []int, cycles int, listed map[string]bool) (next []int, ok bool) {
	if len(listed) == 0 {
		return nil, false
	}
	for _, p := range current {
		tc := points[p].Config
		tc.Cycles = cycles
		id, err := TrialID(tc, points[p].Data.Info.Fingerprint)
		if err == nil && listed[id] {
			next = append(next, p)
		}
	}
	return next, len(next) > 0
}

// rungCheckpoint is the state a promoted trial resumes from: the final
// weights and history of its trial at the rung below, at that trial's last
// step, with its training seconds carried on.
func (r *Runner) rungCheckpoint(t *PlannedTrial) (*train.Checkpoint, store.Trial, error) {
	prev, err := r.db.Trial(t.From)
	if err != nil {
		return nil, store.Trial{}, err
	}
	if !prev.Status.Complete() {
		return nil, store.Trial{}, fmt.Errorf("search: trial %s continues trial %s, which is %s", t.ID, t.From, prev.Status)
	}
	w, err := r.db.Weights(t.From)
	if err != nil {
		return nil, store.Trial{}, err
	}
	records, err := r.db.History(t.From)
	if err != nil {
		return nil, store.Trial{}, err
	}
	history := make([]train.Record, len(records))
	for i, rec := range records {
		history[i] = train.Record(rec)
	}
	tc := t.Config
	tc.Cycles = t.FromCycles
	return &train.Checkpoint{
		AlgorithmVersion: train.AlgorithmVersion, Precision: t.Config.Precision,
		Step:    tc.TotalSteps(t.Data.Prepared.NTrain()),
		Weights: train.Weights{M: w.M, D: w.D, K: w.K, W1: w.W1, B1: w.B1, W2: w.W2, B2: w.B2},
		History: history, Seconds: prev.Seconds,
	}, prev, nil
}

// cyclesAt is the number of whole cycles the first step updates of a run
// of tc on nTrain examples complete.
func cyclesAt(tc train.Config, nTrain, step int) int {
	return step / (2 * tc.StepSize.Resolve(nTrain/tc.BatchSize))
}
