package search

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/sweep-ml/sweep/pkg/train"
)

// ErrInvalidConfig is wrapped by every error about the content of a config.
var ErrInvalidConfig = errors.New("search: invalid config")

// ConfigError names the offending key of a config and, when it came from a
// file, where it is.
type ConfigError struct {
	File         string // as given to Parse or Load; empty when unknown
	Line, Column int    // 1-based; 0 when unknown
	Path         string // key path, e.g. "search.stages[1].space.lambda"
	Reason       string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("search: ")
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

func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// Sampler names how a stage picks its points.
type Sampler string

const (
	Grid   Sampler = "grid"
	Random Sampler = "random"
	Sobol  Sampler = "sobol"
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
// both ErrInvalidConfig and train.ErrInvalidConfig.
func (c Config) TrainConfig(st *Stage, params map[string]float64) (train.Config, error) {
	tc := c.Training
	tc.Seed = c.Seed
	where := "base settings"
	if st != nil {
		where = fmt.Sprintf("stage %q", st.Name)
		if err := st.Training.applyTo(&tc); err != nil {
			return train.Config{}, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, where, err)
		}
	}
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := setParam(&tc, name, params[name]); err != nil {
			return train.Config{}, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, where, err)
		}
	}
	if err := tc.Validate(0); err != nil {
		return train.Config{}, fmt.Errorf("%w: %s with %s: %w", ErrInvalidConfig, where, formatParams(names, params), err)
	}
	return tc, nil
}

func formatParams(names []string, params map[string]float64) string {
	if len(names) == 0 {
		return "no parameters"
	}
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + "=" + fmtNum(params[name])
	}
	return strings.Join(parts, ", ")
}

func fmtNum(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// settingKind is the type a training or model setting takes in a file.
type settingKind int

const (
	intSetting settingKind = iota
	floatSetting
	stepSetting
	stringSetting
	boolSetting
)

type setting struct {
	section string // "training" or "model"
	kind    settingKind
}

// settings are the training and model keys by bare name.
var settings = map[string]setting{
	"hidden":            {"model", intSetting},
	"batch_size":        {"training", intSetting},
	"eta_min":           {"training", floatSetting},
	"eta_max":           {"training", floatSetting},
	"step_size":         {"training", stepSetting},
	"cycles":            {"training", intSetting},
	"lambda":            {"training", floatSetting},
	"records_per_cycle": {"training", intSetting},
	"schedule":          {"training", stringSetting},
	"gamma":             {"training", floatSetting},
	"shuffle":           {"training", boolSetting},
	"precision":         {"training", stringSetting},
}

// numeric reports whether name can be a dimension of a space: a number,
// or step_size as a number of updates.
func numeric(name string) bool {
	s, ok := settings[name]
	return ok && (s.kind == intSetting || s.kind == floatSetting || s.kind == stepSetting)
}

// integer reports whether name takes whole numbers.
func integer(name string) bool {
	s := settings[name]
	return s.kind == intSetting || s.kind == stepSetting
}

func keysOf(section string) []string {
	var keys []string
	for name, s := range settings {
		if s.section == section || (section == "space" && numeric(name)) {
			keys = append(keys, name)
		}
	}
	sort.Strings(keys)
	return keys
}

// Settings is a partial set of training and model settings by bare name: a
// stage's overrides. Values are int (hidden, batch_size, cycles,
// records_per_cycle), float64 (eta_min, eta_max, lambda, gamma),
// train.StepSize, train.Schedule, train.Precision or bool (shuffle).
type Settings map[string]any

func (s Settings) applyTo(tc *train.Config) error {
	names := make([]string, 0, len(s))
	for name := range s {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := set(tc, name, s[name]); err != nil {
			return err
		}
	}
	return nil
}

func set(tc *train.Config, name string, v any) error {
	ok := true
	switch name {
	case "hidden":
		tc.Hidden, ok = v.(int)
	case "batch_size":
		tc.BatchSize, ok = v.(int)
	case "eta_min":
		tc.EtaMin, ok = v.(float64)
	case "eta_max":
		tc.EtaMax, ok = v.(float64)
	case "step_size":
		tc.StepSize, ok = v.(train.StepSize)
	case "cycles":
		tc.Cycles, ok = v.(int)
	case "lambda":
		tc.Lambda, ok = v.(float64)
	case "records_per_cycle":
		tc.RecordsPerCycle, ok = v.(int)
	case "schedule":
		tc.Schedule, ok = v.(train.Schedule)
	case "gamma":
		tc.Gamma, ok = v.(float64)
	case "shuffle":
		tc.Shuffle, ok = v.(bool)
	case "precision":
		tc.Precision, ok = v.(train.Precision)
	default:
		return fmt.Errorf("unknown setting %q", name)
	}
	if !ok {
		return fmt.Errorf("setting %s has a value of the wrong type %T", name, v)
	}
	return nil
}

// get is set's inverse, in the form Resolved prints.
func get(tc train.Config, name string) any {
	switch name {
	case "hidden":
		return tc.Hidden
	case "batch_size":
		return tc.BatchSize
	case "eta_min":
		return tc.EtaMin
	case "eta_max":
		return tc.EtaMax
	case "step_size":
		return tc.StepSize.String()
	case "cycles":
		return tc.Cycles
	case "lambda":
		return tc.Lambda
	case "records_per_cycle":
		return tc.RecordsPerCycle
	case "schedule":
		return string(tc.Schedule)
	case "gamma":
		return tc.Gamma
	case "shuffle":
		return tc.Shuffle
	case "precision":
		return string(tc.Precision)
	}
	return nil
}

// maxExact bounds the floats taken as integers: beyond it not every integer
// is representable, and int conversion would be implementation-defined.
const maxExact = 1 << 53

// setParam sets a numeric setting from a sampled value.
func setParam(tc *train.Config, name string, x float64) error {
	if !numeric(name) {
		return fmt.Errorf("parameter %q is not a numeric training or model setting", name)
	}
	if !integer(name) {
		return set(tc, name, x)
	}
	r := math.Round(x)
	if !(math.Abs(r) <= maxExact) {
		return fmt.Errorf("parameter %s=%s is out of range for an integer", name, fmtNum(x))
	}
	if name == "step_size" {
		return set(tc, name, train.StepSize{Updates: int(r)})
	}
	return set(tc, name, int(r))
}
