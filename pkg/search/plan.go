package search

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// ErrStageChanged is wrapped when a config changes a stage whose trials are
// already stored.
var ErrStageChanged = errors.New("stage changed since it ran")

// ErrNothingToRefine is wrapped when a stage cannot be planned because the
// stage it builds on has no done trials.
var ErrNothingToRefine = errors.New("no done trials to build on")

// PlannedTrial is one training run of a stage.
type PlannedTrial struct {
	ID    string
	Stage *config.Stage
	Index int // position in the stage's list
	// Params are the values that vary between trials, by bare name:
	// lambda always, plus every searched setting.
	Params    map[string]float64
	Config    train.Config
	SeedIndex int
	Data      *Data
	// Reused marks a trial that an earlier stage already lists.
	Reused bool
	// Round is a tpe stage's round of the trial's point: 0 for the
	// startup points, then 1, 2, ... for the proposed ones.
	Round int
	// On a halving stage: the rung (0 is the first) and the point (its
	// position among the stage's points) of the trial, and the trial at
	// the rung below, of FromCycles cycles, that it continues ("" on the
	// first rung).
	Rung, Point int
	From        string
	FromCycles  int
}

// StagePlan is a stage's list of trials and the values computed when it
// started (refined ranges, the source trials of a best stage).
type StagePlan struct {
	Stage    *config.Stage
	Trials   []PlannedTrial
	Derived  config.Derived
	Warnings []string
	// Rungs are a halving stage's rungs as far as they are known, the
	// first always; RungCycles are the cycles of all its rungs.
	Rungs      []Rung
	RungCycles []int
}

// history is the part of a database the planner reads: the stored stages
// and trials. It is nil for a new sweep.
type history struct {
	stages map[string]store.Stage
	trials map[string]store.Trial
}

func loadHistory(db *store.DB) (*history, error) {
	h := &history{stages: map[string]store.Stage{}, trials: map[string]store.Trial{}}
	if db == nil {
		return h, nil
	}
	stages, err := db.Stages()
	if err != nil {
		return nil, err
	}
	for _, st := range stages {
		h.stages[st.Name] = st
	}
	err = db.ForEachTrial(func(t store.Trial) error {
		h.trials[t.ID] = t
		return nil
	})
	return h, err
}

// stageTrials returns the stored trials a stage lists, in its order.
func (h *history) stageTrials(name string) []store.Trial {
	st, ok := h.stages[name]
	if !ok {
		return nil
	}
	out := make([]store.Trial, 0, len(st.TrialIDs))
	for _, id := range st.TrialIDs {
		if t, ok := h.trials[id]; ok {
			out = append(out, t)
		}
	}
	return out
}

// planStage lists the trials of stage st, computing refined ranges and best
// sources from the earlier stages' results in h, or taking them from the
// stored stage when it has run before.
func (r *Runner) planStage(st *config.Stage, h *history) (*StagePlan, error) {
	plan := &StagePlan{Stage: st}
	data, err := r.stageData(st)
	if err != nil {
		return nil, err
	}
	cfg, err := r.stageConfig(st, h) // the sweep's config, with an earlier range stage's rates
	if err != nil {
		return nil, err
	}
	stored, hasStored := h.stages[st.Name]
	if hasStored {
		if plan.Derived, err = config.DecodeDerived(stored.Derived); err != nil {
			return nil, fmt.Errorf("search: stage %q: stored derived values: %w", st.Name, err)
		}
	}
	type candidate struct {
		params map[string]float64
		tc     train.Config
	}
	var configs []candidate
	if st.LRRange != nil {
		tc, err := cfg.RangeConfig(st, data.Prepared.NTrain())
		if err != nil {
			return nil, err
		}
		configs = append(configs, candidate{nil, tc})
	} else if st.Best > 0 {
		if plan.Derived.Sources == nil {
			plan.Derived.Sources = r.bestSources(st, h)
			if len(plan.Derived.Sources) == 0 {
				return nil, fmt.Errorf("search: stage %q: %w: no earlier stage has a done trial to retrain", st.Name, ErrNothingToRefine)
			}
		}
		for _, id := range plan.Derived.Sources {
			src, ok := h.trials[id]
			if !ok {
				return nil, fmt.Errorf("search: stage %q: source trial %s is not in the database", st.Name, id)
			}
			tc, err := r.bestConfig(cfg, st, src)
			if err != nil {
				return nil, err
			}
			configs = append(configs, candidate{maps.Clone(src.Params), tc})
		}
	} else {
		if st.HasRefine() && plan.Derived.Ranges == nil {
			ranges, from, err := r.refineRanges(st, h)
			if err != nil {
				return nil, err
			}
			plan.Derived.Ranges, plan.Derived.From = ranges, from
		}
		var points []map[string]float64
		if st.Sampler == config.TPESampler {
			if points, err = r.tpeStagePoints(st, cfg, data, h, &plan.Derived); err != nil {
				return nil, err
			}
		} else {
			if points, plan.Warnings, err = Points(st, r.cfg.Seed, st.Trials, plan.Derived.Ranges); err != nil {
				return nil, err
			}
		}
		for _, p := range points {
			tc, err := cfg.TrainConfig(st, p)
			if err != nil {
				return nil, err
			}
			params := maps.Clone(p)
			for name := range params { // integer settings take their rounded value
				params[name] = config.ParamValue(tc, name)
			}
			configs = append(configs, candidate{params, tc})
		}
	}

	// Bound every trial by the data it trains on, not only the corners
	// Validate sees: a step size in epochs is known only here.
	for _, c := range configs {
		if err := cfg.CheckFit(st, c.tc, data.Prepared); err != nil {
			return nil, fmt.Errorf("%w (at %s)", err, config.FormatParams(c.params))
		}
	}
	earlier := r.earlierIDs(st, h)
	seen := map[string]bool{}
	// Duplicates are reported in one line: a small discrete space sampled
	// many times repeats thousands of trials.
	dups, firstDup := 0, ""
	for point, c := range configs {
		for j := range max(1, st.Seeds) {
			tc := c.tc
			tc.Seed = SeedStream(r.cfg.Seed, j)
			params := maps.Clone(c.params)
			if params == nil {
				params = map[string]float64{}
			}
			params["lambda"] = tc.Lambda
			id, err := TrialID(tc, data.Info.Fingerprint)
			if err != nil {
				return nil, err
			}
			if seen[id] {
				if dups == 0 {
					firstDup = fmt.Sprintf("%s (%s)", id, config.FormatParams(params))
				}
				dups++
				continue
			}
			seen[id] = true
			plan.Trials = append(plan.Trials, PlannedTrial{
				ID: id, Stage: st, Index: len(plan.Trials), Params: params, Config: tc,
				SeedIndex: j, Data: data, Reused: earlier[id], Round: st.TPERound(plan.Derived, point),
			})
		}
	}
	if dups > 0 {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("stage %q: %d points repeat the trial of an earlier point (the first: %s); each trial runs once", st.Name, dups, firstDup))
	}
	if st.TPE != nil {
		plan.Derived.Startup = 0
		for _, t := range plan.Trials {
			if t.Round == 0 {
				plan.Derived.Startup++
			}
		}
	}
	if hasStored {
		if err := checkDecisionsUnchanged(st, stored); err != nil {
			return nil, err
		}
	}
	if st.Halving != nil {
		if err := r.planRungs(plan, h, stored.TrialIDs, earlier); err != nil {
			return nil, err
		}
	}
	if hasStored {
		if err := r.checkUnchanged(st, stored, plan, h); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// refineRanges computes every refine dimension's range from the top
// st.Refine.Top done trials of the After stage (fewer if fewer are done).
func (r *Runner) refineRanges(st *config.Stage, h *history) (map[string]config.Range, []string, error) {
	var done []store.Trial
	for _, t := range h.stageTrials(st.After) {
		if r.doneIn(st.After, t) {
			done = append(done, t)
		}
	}
	if len(done) == 0 {
		return nil, nil, fmt.Errorf("search: stage %q: %w: stage %q has none done", st.Name, ErrNothingToRefine, st.After)
	}
	store.Rank(done)
	done = done[:min(len(done), st.Refine.Top)]
	from := make([]string, len(done))
	for i, t := range done {
		from[i] = t.ID
	}
	ranges := map[string]config.Range{}
	for _, d := range st.Space {
		if !d.Refine {
			continue
		}
		values := make([]float64, 0, len(done))
		for _, t := range done {
			v, ok := t.Params[d.Name]
			if !ok {
				v = config.ParamValue(r.cfg.Training, d.Name)
			}
			values = append(values, v)
		}
		ranges[d.Name] = RefineRange(values, d.Kind, st.Refine.Margin)
	}
	return ranges, from, nil
}

// bestSources ranks the done trials of the earlier stages that share the
// base data section (a stage with its own validation set is not comparable)
// and returns the best st.Best configurations, one trial each.
func (r *Runner) bestSources(st *config.Stage, h *history) []string {
	var candidates []store.Trial
	listed := map[string]bool{}
	for i := range r.cfg.Search.Stages {
		prev := &r.cfg.Search.Stages[i]
		if prev == st || prev.Index >= st.Index {
			break
		}
		if !prev.Data.IsZero() || prev.LRRange != nil { // a range test is no configuration to retrain
			continue
		}
		for _, t := range h.stageTrials(prev.Name) {
			if r.doneIn(prev.Name, t) && !listed[t.ID] {
				listed[t.ID] = true
				candidates = append(candidates, t)
			}
		}
	}
	store.Rank(candidates)
	var ids []string
	configs := map[string]bool{}
	for _, t := range candidates {
		key := t.Stage + "\x00" + config.FormatParams(t.Params) // seeds of one configuration count once
		if configs[key] {
			continue
		}
		configs[key] = true
		ids = append(ids, t.ID)
		if len(ids) == st.Best {
			break
		}
	}
	return ids
}

// bestConfig layers base ← the source trial's stage overrides ← its params
// ← this stage's overrides.
func (r *Runner) bestConfig(cfg config.Config, st *config.Stage, src store.Trial) (train.Config, error) {
	var srcStage *config.Stage
	for i := range r.cfg.Search.Stages {
		if r.cfg.Search.Stages[i].Name == src.Stage {
			srcStage = &r.cfg.Search.Stages[i]
		}
	}
	tc, err := cfg.TrainConfig(srcStage, src.Params)
	if err != nil {
		return train.Config{}, err
	}
	if err := st.Training.ApplyTo(&tc); err != nil {
		return train.Config{}, fmt.Errorf("%w: stage %q: %w", config.ErrInvalid, st.Name, err)
	}
	if err := tc.Validate(0); err != nil {
		return train.Config{}, fmt.Errorf("%w: stage %q: %w", config.ErrInvalid, st.Name, err)
	}
	return tc, nil
}

// earlierIDs returns the ids listed by the stages before st.
func (r *Runner) earlierIDs(st *config.Stage, h *history) map[string]bool {
	ids := map[string]bool{}
	for i := range st.Index {
		if s, ok := h.stages[r.cfg.Search.Stages[i].Name]; ok {
			for _, id := range s.TrialIDs {
				ids[id] = true
			}
		}
	}
	return ids
}

// checkUnchanged refuses a plan that does not extend the stored stage: its
// trials may only grow by appending, and only on samplers whose first points
// do not depend on the count.
func (r *Runner) checkUnchanged(st *config.Stage, stored store.Stage, plan *StagePlan, h *history) error {
	ids := make([]string, len(plan.Trials))
	for i, t := range plan.Trials {
		ids[i] = t.ID
	}
	// A halving stage grows as its rungs are decided, a tpe stage as its
	// rounds are.
	appendable := st.Sampler == config.Random || st.Sampler == config.Sobol || st.Sampler == config.TPESampler || st.Halving != nil
	if len(ids) >= len(stored.TrialIDs) && slices.Equal(ids[:len(stored.TrialIDs)], stored.TrialIDs) &&
		(len(ids) == len(stored.TrialIDs) || appendable) {
		return nil
	}
	what, err := specDiff(stored.Spec, st)
	if err != nil {
		return err
	}
	if what == "" {
		what = "the settings it inherits (seed, data, model or training section) changed"
		if d := inheritedDiff(h, stored, plan); d != "" {
			what = "the settings it inherits changed: " + d
		}
	}
	return fmt.Errorf("search: stage %q: %w: %s; its %d trials are stored. Undo the change, or start a new sweep (another name or --db FILE)",
		st.Name, ErrStageChanged, what, len(stored.TrialIDs))
}

// inheritedDiff names the settings, other than the searched ones, in which
// the stage's first stored trial and its first planned trial differ: what
// changed in the sections the stage inherits. "" if it cannot tell.
func inheritedDiff(h *history, stored store.Stage, plan *StagePlan) string {
	if len(stored.TrialIDs) == 0 || len(plan.Trials) == 0 {
		return ""
	}
	first, ok := h.trials[stored.TrialIDs[0]]
	if !ok {
		return ""
	}
	was, err := config.DecodeSettings(first.Config)
	if err != nil {
		return ""
	}
	now := plan.Trials[0]
	a, b := config.SettingsMap(was), config.SettingsMap(now.Config)
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if _, searched := now.Params[k]; searched {
			continue
		}
		if x, y := fmt.Sprint(a[k]), fmt.Sprint(b[k]); x != y {
			diffs = append(diffs, fmt.Sprintf("%s was %s, is now %s", k, x, y))
		}
	}
	return strings.Join(diffs, ", ")
}

// specDiff names the keys of a stage's settings that differ from the stored
// ones. Both sides go through the stage encoding, so a spec an earlier
// release spelled differently compares by value.
func specDiff(storedSpec []byte, st *config.Stage) (string, error) {
	was, err := config.DecodeStage(storedSpec)
	if err != nil {
		return "", fmt.Errorf("search: stage %q: stored spec: %w", st.Name, err)
	}
	sides := [2]map[string]json.RawMessage{}
	for i, s := range []*config.Stage{&was, st} {
		b, err := config.EncodeStage(s)
		if err != nil {
			return "", err
		}
		if err := json.Unmarshal(b, &sides[i]); err != nil {
			return "", fmt.Errorf("search: stage %q: %w", st.Name, err)
		}
	}
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(mergeKeys(sides[0], sides[1]))) {
		a, b := sides[0][k], sides[1][k]
		if string(a) != string(b) {
			diffs = append(diffs, fmt.Sprintf("%s was %s, is now %s", k, orNone(a), orNone(b)))
		}
	}
	return strings.Join(diffs, ", "), nil
}

// orNone spells an absent key the way encoding/json spells nil.
func orNone(raw json.RawMessage) string {
	if raw == nil {
		return "null"
	}
	return string(raw)
}

func mergeKeys(a, b map[string]json.RawMessage) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// PlannedStage is a stage as --plan shows it: its trials with whether each
// is stored already, or why it cannot be planned yet.
type PlannedStage struct {
	Plan    *StagePlan
	Status  map[string]store.Status // stored trials' statuses, by id
	Pending string                  // why the trials are not known yet, if they are not
}

// Plan lists every stage's trials without training anything. db may be nil
// (a sweep not started yet); a db run would refuse for its version is
// refused alike. A stage whose trials depend on results not yet
// there says why instead; so do the stages after it.
func (r *Runner) Plan(db *store.DB) ([]PlannedStage, error) {
	if db != nil {
		if err := r.checkStoredVersion(db); err != nil {
			return nil, err
		}
	}
	h, err := loadHistory(db)
	if err != nil {
		return nil, err
	}
	var out []PlannedStage
	blocked := false
	for i := range r.cfg.Search.Stages {
		st := &r.cfg.Search.Stages[i]
		ps := PlannedStage{Status: map[string]store.Status{}}
		if blocked && !r.independent(st) {
			ps.Plan = &StagePlan{Stage: st}
			ps.Pending = r.waitReason(st)
			out = append(out, ps)
			continue
		}
		plan, err := r.planStage(st, h)
		if errors.Is(err, ErrNothingToRefine) {
			ps.Plan = &StagePlan{Stage: st}
			if errors.Is(err, errRatesPending) {
				ps.Pending = r.rangeReason(st)
			} else {
				ps.Pending = r.waitReason(st)
			}
			blocked = true
			out = append(out, ps)
			continue
		}
		if err != nil {
			return nil, err
		}
		ps.Plan = plan
		for _, t := range plan.Trials {
			if stored, ok := h.trials[t.ID]; ok {
				ps.Status[t.ID] = stored.Status
			}
		}
		out = append(out, ps)
	}
	return out, nil
}

// independent reports whether a stage's trials can be listed before the
// earlier stages have results: samplers over fixed ranges can.
func (r *Runner) independent(st *config.Stage) bool {
	return st.Best == 0 && !st.HasRefine()
}

func (r *Runner) waitReason(st *config.Stage) string {
	if st.Best > 0 {
		return fmt.Sprintf("retrains the best %d configuration(s) of the earlier stages, known once they have done trials", st.Best)
	}
	return fmt.Sprintf("its refined ranges come from the top %d done trials of stage %q, which has none yet", st.Refine.Top, st.After)
}
