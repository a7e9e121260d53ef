package search

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
)

// A tpe stage (config.TPE) lists its points round by round. Round 0 is
// its startup points, sobol's first, exactly as a sobol stage gives them.
// Round k+1 is proposed once every trial of the rounds before it is
// finished (done, diverged or failed), from their results alone: by
// proposeRound, with a PCG source of (sweep seed, stage name, round), over
// the trials ranked as the report ranks them and the diverged and failed
// after them as the worst, in stage order. The proposals are stored with
// the stage (config.Derived.Proposed, and each round's size in Rounds),
// so a later run, a failed trial that is retried and succeeds, or a change
// of anything the ranking reads never moves them. The planner reads the
// database alone, so the points are the same for any number of workers,
// any interruption, and for a coordinator that plans while other machines
// train.
//
// Failures are the one result that is not a function of the trial (a
// deterministic failure fails every time), and the rule for them is: a
// failed trial is retried only once every round of its stage is proposed
// (Run's todo list), so until then its failure counts as the worst result
// in every round decided, however often the sweep was interrupted; the
// retry's result, if it succeeds, never moves a proposal.
//
// With halving, the rounds train the first rung (min_cycles), and the
// rungs above it are decided once every round is proposed and the first
// rung of all of them is finished: each round is proposed from the first
// rung's results of the rounds before it, the only rung decided then, and
// results of equal training compare fairly.

// tpePoints returns a tpe stage's points known so far as unit coordinates
// of axes, in order: the startup points, the proposals in derived, then
// every round the results in h decide, which it appends to
// derived.Proposed.
func (r *Runner) tpePoints(st *config.Stage, cfg config.Config, data *Data, h *history, axes []axis, derived *config.Derived) ([][]float64, error) {
	tp := st.TPE
	if tp == nil {
		return nil, fmt.Errorf("search: stage %q: sampler tpe without its options: %w", st.Name, config.ErrInvalid)
	}
	units, err := sobolUnits(st, r.cfg.Seed, axes, min(tp.Startup, st.Trials))
	if err != nil {
		return nil, err
	}
	for i, p := range derived.Proposed[:min(len(derived.Proposed), st.Trials-len(units))] {
		u := make([]float64, len(axes))
		for j, a := range axes {
			x, ok := p[a.name]
			if !ok || len(p) != len(axes) {
				return nil, fmt.Errorf("search: stage %q: %w: its stored proposal %d is not over its space's dimensions", st.Name, ErrStageChanged, i+1)
			}
			u[j] = x
		}
		units = append(units, u)
	}
	// A stage stored before rounds were has its rounds as full batches;
	// from now on they are stored.
	derived.Rounds = derived.TPERoundSizes(tp.Batch)
	ids := r.cachedTPEIDs(st, cfg, data, axes, units) // the trials of each point in units, as far as computed
	defer func() { r.cacheTPEIDs(st.Name, units, ids) }()
	for len(units) < st.Trials {
		ranked, complete, ok, err := r.tpeResults(st, cfg, data, h, axes, units, &ids)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		// The round's number, its PCG stream, counts stored rounds, not
		// points: after a round cut short by trials, raising trials gives
		// a new round and a new stream.
		round := len(derived.Rounds) + 1
		rng := rand.New(rand.NewPCG(mix("tpe", r.cfg.Seed, st.Name, uint64(round))))
		batch := proposeRound(axes, ranked, tpeGood(len(ranked), complete), min(tp.Batch, st.Trials-len(units)), rng)
		derived.Rounds = append(derived.Rounds, len(batch))
		for _, u := range batch {
			p := make(map[string]float64, len(axes))
			for j, a := range axes {
				p[a.name] = u[j]
			}
			derived.Proposed = append(derived.Proposed, p)
			units = append(units, u)
		}
	}
	return units, nil
}

// tpeIDCache is the trial ids of a tpe stage's first points, kept across
// the passes of a Run (one a round): computing them all again each pass
// made a run's planning grow with the square of its trials.
type tpeIDCache struct {
	units [][]float64
	ids   [][]string
}

// cachedTPEIDs returns the cached trial ids of the points of units that
// the cache holds, the same points in the same order; none if the first
// point's trials are no longer the cached ones (the stage's settings,
// ranges or data differ).
func (r *Runner) cachedTPEIDs(st *config.Stage, cfg config.Config, data *Data, axes []axis, units [][]float64) [][]string {
	r.mu.Lock()
	c := r.tpeIDs[st.Name]
	r.mu.Unlock()
	n := 0
	for n < min(len(c.ids), len(units)) && slices.Equal(c.units[n], units[n]) {
		n++
	}
	if n == 0 {
		return nil
	}
	var first [][]string
	if _, _, _, err := r.tpeResults(st, cfg, data, &history{}, axes, units[:1], &first); err != nil || !slices.Equal(first[0], c.ids[0]) {
		return nil
	}
	return c.ids[:n:n]
}

// cacheTPEIDs keeps the trial ids of the points units for the stage's
// next pass.
func (r *Runner) cacheTPEIDs(stage string, units [][]float64, ids [][]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tpeIDs == nil {
		r.tpeIDs = map[string]tpeIDCache{}
	}
	r.tpeIDs[stage] = tpeIDCache{units[:len(ids):len(ids)], ids}
}

// tpeResults returns the coordinates of the trials of the points units,
// ranked best first: the complete ones as Promote ranks them (a halving
// stage's at its first rung), then the diverged and failed ones, worst, in
// stage order; complete counts the former. ok is false while any trial is
// not stored or not finished. Seeds of a point are results of their own,
// and a trial that two points share counts once. ids caches the trial ids
// of the points across calls.
func (r *Runner) tpeResults(st *config.Stage, cfg config.Config, data *Data, h *history, axes []axis, units [][]float64, ids *[][]string) (ranked [][]float64, complete int, ok bool, err error) {
	for _, u := range units[len(*ids):] {
		tc, err := cfg.TrainConfig(st, pointAt(axes, u))
		if err != nil {
			return nil, 0, false, err
		}
		if st.Halving != nil {
			tc.Cycles = st.Halving.Rungs(tc.Cycles)[0]
		}
		var point []string
		for j := range max(1, st.Seeds) {
			tc.Seed = SeedStream(r.cfg.Seed, j)
			id, err := TrialID(tc, data.Info.Fingerprint)
			if err != nil {
				return nil, 0, false, err
			}
			point = append(point, id)
		}
		*ids = append(*ids, point)
	}
	var done []store.Trial
	var worst [][]float64
	pos := map[string]int{}
	for i, u := range units {
		for _, id := range (*ids)[i] {
			if _, dup := pos[id]; dup {
				continue
			}
			pos[id] = i
			t, stored := h.trials[id]
			switch {
			case !stored || !(t.Status.Final() || t.Status == store.Failed):
				return nil, 0, false, nil
			case t.Status.Complete():
				t.Status, t.CyclesTrained = store.Done, 0 // rank by metrics alone
				done = append(done, t)
			default:
				worst = append(worst, u)
			}
		}
	}
	store.Rank(done)
	for _, t := range done {
		ranked = append(ranked, units[pos[t.ID]])
	}
	return append(ranked, worst...), len(done), true, nil
}

// tpeStagePoints is tpePoints as values by setting name, as Points gives
// them.
func (r *Runner) tpeStagePoints(st *config.Stage, cfg config.Config, data *Data, h *history, derived *config.Derived) ([]map[string]float64, error) {
	axes, err := axes(st, derived.Ranges)
	if err != nil {
		return nil, err
	}
	units, err := r.tpePoints(st, cfg, data, h, axes, derived)
	if err != nil {
		return nil, err
	}
	points := make([]map[string]float64, len(units))
	for i, u := range units {
		points[i] = pointAt(axes, u)
	}
	return points, nil
}

// tpeRoundsRemain reports whether a tpe stage has points still to propose.
func tpeRoundsRemain(st *config.Stage, d config.Derived) bool {
	return st.Sampler == config.TPESampler && st.TPE != nil && min(st.TPE.Startup, st.Trials)+len(d.Proposed) < st.Trials
}
