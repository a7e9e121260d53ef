package config

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/sweep-ml/sweep/pkg/train"
)

// MaxTrials bounds a stage's trials and a grid's points: far more than a
// sweep of small networks can train, small enough to enumerate.
const MaxTrials = 1_000_000

// Validate checks every setting, the effective settings of every stage and
// the bounds of every space, so that a sweep fails before it trains. It
// returns the first problem as a *FieldError.
func (c Config) Validate() error {
	if err := c.checkName(); err != nil {
		return err
	}
	if err := c.checkData(c.Data, func(key string) string { return "data." + key }); err != nil {
		return err
	}
	if err := c.checkTraining(c.Training, func(key string) string { return key }); err != nil {
		return err
	}
	if _, given := c.pos["search.workers"]; (given && c.Search.Workers < 1) || c.Search.Workers < 0 || c.Search.Workers > MaxWorkers {
		return c.errorf("search.workers", "must be between 1 and %d, got %d", MaxWorkers, c.Search.Workers)
	}
	if len(c.Search.Stages) == 0 {
		return c.errorf("search.stages", "must list at least one stage")
	}
	first := map[string]int{}
	for i := range c.Search.Stages {
		st := &c.Search.Stages[i]
		path := st.path()
		switch prev, dup := first[st.Name]; {
		case st.Name == "":
			return c.errorf(path+".name", "must not be empty")
		case dup:
			return c.errorf(path+".name", "duplicate stage name %q (also search.stages[%d])", st.Name, prev)
		case !printable(st.Name):
			return c.errorf(path+".name", "%q contains a control character", st.Name)
		}
		first[st.Name] = i
		if err := c.checkStage(st, first); err != nil {
			return err
		}
	}
	return nil
}

// checkData validates a data section; key maps "dir" to its key path.
func (c Config) checkData(d DataSection, key func(string) string) error {
	switch d.Source {
	case SourceCIFAR10, SourceIDX:
		if d.Dir == "" {
			return c.errorf(key("dir"), "required for source %s", d.Source)
		}
	case SourceEmbedded:
	default:
		return c.errorf(key("source"), "must be cifar10, idx or embedded, got %q", d.Source)
	}
	v := d.Validation
	switch {
	case v.Holdout < 0:
		return c.errorf(key("validation.holdout"), "must be at least 0, got %d", v.Holdout)
	case v.Holdout > 0 && len(v.Files) > 0:
		return c.errorf(key("validation"), "holdout and files exclude each other")
	}
	for name, files := range map[string][]string{"train": d.Train, "test": d.Test, "validation.files": v.Files} {
		for i, f := range files {
			if f == "" {
				return c.errorf(fmt.Sprintf("%s[%d]", key(name), i), "must not be empty")
			}
		}
	}
	return nil
}

// checkTraining runs train's validation; key maps train's keys
// ("training.batch_size") to key paths of the file.
func (c Config) checkTraining(tc train.Config, key func(string) string) error {
	var te *train.ConfigError
	if err := tc.Validate(0); errors.As(err, &te) {
		return c.wrapf(te, key(te.Key), "%s", te.Reason)
	} else if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

func (c Config) checkStage(st *Stage, earlier map[string]int) error {
	path := st.path()
	at := func(key string) string { return path + "." + key }
	if _, given := c.pos[at("best")]; (given && st.Best < 1) || st.Best < 0 {
		return c.errorf(at("best"), "must be at least 1, got %d", st.Best)
	}
	if st.LRRange != nil {
		if err := c.checkRange(st); err != nil {
			return err
		}
	} else if st.Best > 0 {
		beside := func(key string) error {
			return c.errorf(at(key), "best beside %s: a best stage retrains earlier configurations and samples none", key)
		}
		if key := st.samplingKey(); key != "" {
			return beside(key)
		}
		if st.Index == 0 {
			return c.errorf(at("best"), "the first stage has no earlier configurations to take the best of")
		}
	} else {
		if st.Sampler != Grid && st.Sampler != Random && st.Sampler != Sobol && st.Sampler != TPESampler {
			return c.errorf(at("sampler"), "must be grid, random, sobol or tpe, got %q", st.Sampler)
		}
		if st.Trials < 1 || st.Trials > MaxTrials {
			return c.errorf(at("trials"), "must be between 1 and %d, got %d", MaxTrials, st.Trials)
		}
		if err := c.checkTPE(st); err != nil {
			return err
		}
	}
	if st.Seeds < 1 || st.Seeds > MaxTrials {
		return c.errorf(at("seeds"), "must be between 1 and %d, got %d", MaxTrials, st.Seeds)
	}
	if st.After == st.Name {
		return c.errorf(at("after"), "a stage cannot follow itself")
	}
	if st.After != "" {
		if j, ok := earlier[st.After]; !ok || j >= st.Index {
			if c.stageIndex(st.After) >= 0 {
				return c.errorf(at("after"), "%q names a later stage; a stage can only follow an earlier one", st.After)
			}
			return c.errorf(at("after"), "unknown stage %q%s", st.After, suggest(st.After, c.stageNames(st.Index)))
		}
	}
	if err := c.checkSpace(st); err != nil {
		return err
	}
	tc := c.Training
	if err := st.Training.ApplyTo(&tc); err != nil {
		return c.wrapf(err, at("training"), "%s", err)
	}
	if err := c.checkTraining(tc, at); err != nil {
		return err
	}
	if err := c.checkHalving(st, tc); err != nil {
		return err
	}
	if err := c.checkData(c.DataSection(st), func(key string) string { return at("data." + key) }); err != nil {
		return err
	}
	return c.checkCorners(st, tc)
}

// checkHalving bounds a halving stage's rungs: with eta >= 2 and
// training.cycles at most train.MaxCycles there are at most
// 1 + log2(MaxCycles) of them, and eta <= MaxCycles keeps every rung's
// product far from overflowing.
func (c Config) checkHalving(st *Stage, tc train.Config) error {
	h := st.Halving
	if h == nil {
		return nil
	}
	at := st.path() + ".halving"
	for _, d := range st.Space {
		if d.Name == "cycles" {
			return c.errorf(st.path()+".space.cycles", "a halving stage sets the cycles of its rungs itself; set training.cycles to the last rung instead")
		}
	}
	switch {
	case h.MinCycles < 1:
		return c.errorf(at+".min_cycles", "must be at least 1, got %d", h.MinCycles)
	case h.MinCycles >= tc.Cycles:
		return c.errorf(at+".min_cycles", "must be less than the stage's training.cycles %d (the last rung), got %d", tc.Cycles, h.MinCycles)
	case h.Eta < 2 || h.Eta > train.MaxCycles:
		return c.errorf(at+".eta", "must be an integer between 2 and %d, got %d", train.MaxCycles, h.Eta)
	}
	return nil
}

func (c Config) stageIndex(name string) int {
	for i, st := range c.Search.Stages {
		if st.Name == name {
			return i
		}
	}
	return -1
}

func (c Config) stageNames(before int) []string {
	var names []string
	for _, st := range c.Search.Stages[:before] {
		names = append(names, st.Name)
	}
	return names
}

func (c Config) checkSpace(st *Stage) error {
	path := st.path()
	var refineDim string
	seen := map[string]bool{}
	for _, d := range st.Space {
		dp := path + ".space." + d.Name
		if seen[d.Name] {
			return c.errorf(dp, "appears twice in the space")
		}
		seen[d.Name] = true
		if reason := d.Check(); reason != "" {
			return c.errorf(dp, "%s", reason)
		}
		if d.Refine {
			if st.Refine == nil {
				return c.errorf(dp, "%s needs a refine: {top, margin} section in the stage", d.spec())
			}
			if st.After == "" {
				return c.errorf(dp, "%s needs after: naming the stage to refine", d.spec())
			}
			refineDim = d.Name
		}
	}
	if st.Refine != nil {
		switch r := st.Refine; {
		case refineDim == "":
			return c.errorf(path+".refine", "no dimension to refine; use one like {log10: refine} in the space")
		case r.Top < 1:
			return c.errorf(path+".refine.top", "must be at least 1, got %d", r.Top)
		case !finite(r.Margin) || r.Margin < 0:
			return c.errorf(path+".refine.margin", "must be a finite number >= 0, got %s", fmtNum(r.Margin))
		}
	}
	if st.Sampler == Grid {
		if n := gridSize(st.Space, st.Trials); n > MaxTrials {
			return c.errorf(path+".trials", "the grid has %.0f points, more than %d", n, MaxTrials)
		}
	}
	return nil
}

// checkCorners validates the stage's training settings at every corner of
// its space: the train constraints are bounds and eta_min <= eta_max, so
// the corners fail if any point does. Refine dimensions are unknown until
// the runner refines them and keep the stage's value.
func (c Config) checkCorners(st *Stage, tc train.Config) error {
	var dims []Dimension
	var los, his []float64
	for _, d := range st.Space {
		if lo, hi, ok := d.Extremes(); ok {
			dims, los, his = append(dims, d), append(los, lo), append(his, hi)
		}
	}
	// At most 9 numeric settings, so at most 512 corners.
	for mask := 0; mask < 1<<len(dims); mask++ {
		cfg := tc
		values := map[string]float64{}
		for i, d := range dims {
			x := los[i]
			if mask&(1<<i) != 0 {
				x = his[i]
			}
			values[d.Name] = x
			if err := setParam(&cfg, d.Name, x); err != nil {
				return c.wrapf(err, st.path()+".space."+d.Name, "%s", err)
			}
		}
		var te *train.ConfigError
		if err := cfg.Validate(0); errors.As(err, &te) {
			blame := te.Key[strings.LastIndexByte(te.Key, '.')+1:]
			if _, ok := values[blame]; !ok && blame == "eta_min" {
				blame = "eta_max"
			}
			if _, ok := values[blame]; !ok {
				blame = dims[0].Name
			}
			return c.wrapf(te, st.path()+".space."+blame, "the range reaches %s=%s: %s", blame, fmtNum(values[blame]), te.Reason)
		}
	}
	return nil
}

// gridSize is the number of grid points of a space, as a float so that
// huge grids do not overflow.
func gridSize(space []Dimension, trials int) float64 {
	n := 1.0
	for _, d := range space {
		switch {
		case d.Kind == Const:
		case d.Kind == Choice:
			n *= float64(len(d.Values))
		case d.Kind == Int && !d.Refine:
			n *= math.Min(d.Hi-d.Lo+1, float64(trials))
		default:
			n *= float64(trials)
		}
	}
	return n
}

// samplingKey is the first key of st that only a sampling stage may set
// (sampler, trials, space, refine, halving, tpe), or "" if it sets none: best
// and range stages, which sample nothing, refuse every one of them.
func (st *Stage) samplingKey() string {
	switch {
	case st.Sampler != "":
		return "sampler"
	case st.Trials != 0:
		return "trials"
	case len(st.Space) > 0:
		return "space"
	case st.Refine != nil:
		return "refine"
	case st.Halving != nil:
		return "halving"
	case st.TPE != nil:
		return "tpe"
	}
	return ""
}

// CheckName reports whether name can name a sweep (and its database
// file NAME.db).
func CheckName(name string) error { return Config{Name: name}.checkName() }

func (c Config) checkName() error {
	if c.Name == "" {
		return c.errorf("name", "must not be empty")
	}
	// The name is the default database file name, NAME.db in the
	// current directory; --db is the way to put it elsewhere.
	if strings.ContainsAny(c.Name, `/\`) || c.Name == "." || c.Name == ".." {
		return c.errorf("name", "%q is not a plain file name (it names the database NAME.db; use --db for another directory)", c.Name)
	}
	if !printable(c.Name) {
		return c.errorf("name", "%q contains a control character", c.Name)
	}
	return nil
}

// printable reports whether a name has no control characters: names reach
// terminals, tables and file names (plots) verbatim.
func printable(name string) bool {
	return !strings.ContainsFunc(name, unicode.IsControl)
}
