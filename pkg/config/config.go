package config

import (
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/sweep-ml/sweep/internal/detmath"
	"github.com/sweep-ml/sweep/pkg/train"
)

// ErrInvalid is wrapped by every error about the content of a config.
var ErrInvalid = errors.New("config: invalid config")

// FieldError names the offending key of a config and, when it came from a
// file, where it is.
type FieldError struct {
	File         string // as given to Parse or Load; empty when unknown
	Line, Column int    // 1-based; 0 when unknown
	Path         string // key path, e.g. "search.stages[1].space.lambda"
	Reason       string
	// Err is the cause, when another package found the problem: a
	// *train.ConfigError for a training setting, so that errors.Is holds
	// for train.ErrInvalidConfig as well as ErrInvalid.
	Err error
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

func (e *FieldError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalid, e.Err}
	}
	return []error{ErrInvalid}
}

// Sampler names how a stage picks its points.
type Sampler string

const (
	Grid   Sampler = "grid"
	Random Sampler = "random"
	Sobol  Sampler = "sobol"
	// TPESampler proposes points from earlier results (see [TPE]).
	TPESampler Sampler = "tpe"
)

// Data sources.
const (
	SourceCIFAR10  = "cifar10"
	SourceIDX      = "idx"
	SourceEmbedded = "embedded"
)

// Config is a whole sweep: what to train on, the base settings and the
// stages of the search.
type Config struct {
	Name string
	Seed uint64 // sweep seed: weight initialisation and the samplers' streams
	Data DataSection
	// Training holds the training and model (Hidden) settings. Its Seed is
	// ignored: TrainConfig sets it from Config.Seed.
	Training train.Config
	Search   SearchSection

	File string // the file the config came from, for messages
	Raw  []byte // the file's bytes, kept for the store

	pos positions // where each key path is in the file
}

// DataSection says where the examples come from.
type DataSection struct {
	Source string // cifar10 | idx | embedded
	Dir    string // absolute; empty for embedded
	// Train and Test list cifar10 batch files: bare names inside Dir, or
	// absolute paths (a name with a slash in the file is taken relative to
	// the config file's directory).
	Train, Test []string
	Validation  Validation
}

// Validation selects the validation split: the last Holdout training
// examples, or separate Files (like Train). Both zero means the data
// source's default.
type Validation struct {
	Holdout int
	Files   []string
}

// DataOverride is a stage's partial data section; nil fields are inherited.
// Validation replaces the base validation as a whole, since holdout and
// files exclude each other.
type DataOverride struct {
	Source, Dir *string
	Train, Test []string
	Validation  *Validation
}

func (o DataOverride) apply(d DataSection) DataSection {
	if o.Source != nil {
		d.Source = *o.Source
	}
	if o.Dir != nil {
		d.Dir = *o.Dir
	}
	if o.Train != nil {
		d.Train = o.Train
	}
	if o.Test != nil {
		d.Test = o.Test
	}
	if o.Validation != nil {
		d.Validation = *o.Validation
	}
	return d
}

// MaxWorkers bounds the trials trained at once: each holds its own network
// and buffers (up to train.MaxTrialBytes), so a mistyped count must not
// multiply them past any machine's memory.
const MaxWorkers = 256

// SearchSection is the search: how many trials run at once and the stages.
type SearchSection struct {
	Workers int // 0 means runtime.GOMAXPROCS(0)
	Stages  []Stage
}

// WorkerCount is the number of trials to run at once.
func (s SearchSection) WorkerCount() int {
	if s.Workers > 0 {
		return s.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// Stage is one step of the search.
type Stage struct {
	Name    string
	After   string  // the earlier stage this one refines or follows
	Sampler Sampler // empty on best stages
	Trials  int     // 0 on best stages
	Seeds   int     // train each configuration this many times
	Best    int     // > 0: retrain the Best configurations so far instead of sampling
	Space   []Dimension
	Refine  *Refine
	// Halving, if set, trains the stage by successive halving over cycles.
	Halving *Halving
	// TPE holds a tpe stage's options (set exactly when Sampler is tpe).
	TPE *TPE
	// LRRange, if set, makes the stage the LR range test.
	LRRange *LRRange
	// Training overrides the base training and model settings.
	Training Settings
	Data     DataOverride

	Index int // position in Search.Stages, for messages
}

// Refine says how the runner narrows refine dimensions: the ranges are
// RefineRange of the Top done trials of the After stage, widened by Margin
// (decades for log dimensions, value units for uniform ones).
type Refine struct {
	Top    int
	Margin float64
}

// Halving makes a stage train by successive halving: every trial trains
// to the first rung, MinCycles cycles, and at each rung the best 1/Eta
// continue to the next, MinCycles·Eta^k cycles, up to the stage's
// training.cycles (see search.Rungs).
type Halving struct {
	MinCycles int
	Eta       int
}

func (st *Stage) path() string { return fmt.Sprintf("search.stages[%d]", st.Index) }

// Default returns the config of a file that sets nothing.
func Default() Config {
	tc := train.DefaultConfig()
	return Config{
		Name:     "sweep",
		Seed:     111,
		Data:     DataSection{Source: SourceEmbedded},
		Training: tc,
		Search:   SearchSection{Stages: []Stage{defaultStage()}},
	}
}

// defaultStage is the search of a config without one: a single trial, so
// the runner needs no special case.
func defaultStage() Stage {
	return Stage{Name: "default", Sampler: Grid, Trials: 1, Seeds: 1}
}

// DataSection returns the data settings of stage st (nil: the base ones).
func (c Config) DataSection(st *Stage) DataSection {
	if st == nil {
		return c.Data
	}
	return st.Data.apply(c.Data)
}

// TrainConfig returns the training settings of one trial: the base
// settings, then the stage's overrides (st may be nil), then params, which
// hold actual values by bare name (lambda, hidden, eta_max, ...). Integer
// settings take the nearest integer. The result is validated; errors wrap
// both ErrInvalid and train.ErrInvalidConfig.
func (c Config) TrainConfig(st *Stage, params map[string]float64) (train.Config, error) {
	tc := c.Training
	tc.Seed = c.Seed
	where := "base settings"
	if st != nil {
		where = fmt.Sprintf("stage %q", st.Name)
		if err := st.Training.ApplyTo(&tc); err != nil {
			return train.Config{}, fmt.Errorf("%w: %s: %w", ErrInvalid, where, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if err := setParam(&tc, name, params[name]); err != nil {
			return train.Config{}, fmt.Errorf("%w: %s: %w", ErrInvalid, where, err)
		}
	}
	if err := tc.Validate(0); err != nil {
		return train.Config{}, fmt.Errorf("%w: %s with %s: %w", ErrInvalid, where, FormatParams(params), err)
	}
	return tc, nil
}

func fmtNum(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// HasRefine reports whether the stage has a refine dimension, whose range
// the runner computes when the stage starts.
func (st *Stage) HasRefine() bool {
	for _, d := range st.Space {
		if d.Refine {
			return true
		}
	}
	return false
}

// IsZero reports whether the override changes nothing.
func (o DataOverride) IsZero() bool {
	return o.Source == nil && o.Dir == nil && o.Train == nil && o.Test == nil && o.Validation == nil
}

// DescribeRange renders a refine dimension's derived range for people:
// exponents for log dimensions, with the values they stand for.
func (st *Stage) DescribeRange(name string, rg Range) string {
	for _, d := range st.Space {
		if d.Name == name && d.Kind.Log() {
			return fmt.Sprintf("10^[%.3g, %.3g] (%.2e to %.2e)", rg.Lo, rg.Hi, detmath.Pow10(rg.Lo), detmath.Pow10(rg.Hi))
		}
	}
	return fmt.Sprintf("[%.4g, %.4g]", rg.Lo, rg.Hi)
}

// Rungs returns the cycles of a halving stage's rungs when its trials
// train for cycles in all: MinCycles·Eta^k below cycles, then cycles
// itself. Validate keeps MinCycles < cycles and Eta >= 2, so there are
// at least two rungs and at most 1 + log2(cycles).
func (h Halving) Rungs(cycles int) []int {
	if h.MinCycles < 1 || h.Eta < 2 {
		return []int{cycles} // not a valid Halving: one rung, and no endless loop
	}
	var rungs []int
	for r := h.MinCycles; r < cycles; r *= h.Eta {
		rungs = append(rungs, r)
	}
	return append(rungs, cycles)
}
