package config

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/sweep-ml/sweep/pkg/train"
)

// Kind is the type a setting's value takes, in a file and in Settings.
type Kind int

const (
	KindInt      Kind = iota // int
	KindFloat                // float64
	KindStepSize             // train.StepSize: a number of updates or "K epochs"
	KindEnum                 // string, one of Setting.Values
	KindBool                 // bool
)

// Setting is one row of the table of training and model settings.
type Setting struct {
	Key     string // bare name, the key in its section and in a trial's settings
	Section string // "training" or "model"
	Kind    Kind
	Doc     string // one line, for help text and the starter config
	// Min and Max bound a numeric value (MinOpen excludes Min; Max 0 means
	// no upper bound). train.Config.Validate enforces the same bounds, since
	// the trainer guards itself; TestTableBoundsAreTrains proves they agree.
	Min, Max float64
	MinOpen  bool
	// Condition, when set, says when the bounds apply (gamma matters only
	// to exp_range); alone, a value then need only be finite.
	Condition string
	Values    []string // an enum's values
	// Starter: the starter config sets the setting; otherwise it shows it
	// commented out, as an option.
	Starter bool

	get func(train.Config) any
	set func(*train.Config, any)
}

// Table lists every training and model setting: the YAML keys, the stage
// overrides and search dimensions, the starter config, the help text and
// the canonical settings of a trial (and so its id) all come from it.
// Adding a setting is a row here and its use in package train.
var Table = []Setting{
	{Key: "hidden", Section: "model", Kind: KindInt, Min: 1, Max: train.MaxHidden, Starter: true,
		Doc: "m, hidden units",
		get: func(c train.Config) any { return c.Hidden }, set: func(c *train.Config, v any) { c.Hidden = v.(int) }},
	{Key: "batch_size", Section: "training", Kind: KindInt, Min: 1, Starter: true,
		Doc: "n_batch, examples per update",
		get: func(c train.Config) any { return c.BatchSize }, set: func(c *train.Config, v any) { c.BatchSize = v.(int) }},
	{Key: "eta_min", Section: "training", Kind: KindFloat, Min: 0, Starter: true,
		Doc: "lowest learning rate of a cycle",
		get: func(c train.Config) any { return c.EtaMin }, set: func(c *train.Config, v any) { c.EtaMin = v.(float64) }},
	{Key: "eta_max", Section: "training", Kind: KindFloat, Min: 0, MinOpen: true, Starter: true,
		Doc: "highest learning rate of a cycle",
		get: func(c train.Config) any { return c.EtaMax }, set: func(c *train.Config, v any) { c.EtaMax = v.(float64) }},
	{Key: "step_size", Section: "training", Kind: KindStepSize, Min: 1, Starter: true,
		Doc: `n_s, half a cycle: "K epochs" or a number of updates`,
		get: func(c train.Config) any { return c.StepSize }, set: func(c *train.Config, v any) { c.StepSize = v.(train.StepSize) }},
	{Key: "cycles", Section: "training", Kind: KindInt, Min: 1, Max: train.MaxCycles, Starter: true,
		Doc: "whole learning-rate cycles to train",
		get: func(c train.Config) any { return c.Cycles }, set: func(c *train.Config, v any) { c.Cycles = v.(int) }},
	{Key: "lambda", Section: "training", Kind: KindFloat, Min: 0, Starter: true,
		Doc: "L2 penalty on the weights",
		get: func(c train.Config) any { return c.Lambda }, set: func(c *train.Config, v any) { c.Lambda = v.(float64) }},
	{Key: "records_per_cycle", Section: "training", Kind: KindInt, Min: 1, Max: train.MaxRecords - 1, Starter: true,
		Doc: "history points per cycle (cost, loss, accuracy)",
		get: func(c train.Config) any { return c.RecordsPerCycle }, set: func(c *train.Config, v any) { c.RecordsPerCycle = v.(int) }},
	{Key: "schedule", Section: "training", Kind: KindEnum, Values: []string{string(train.Triangular), string(train.Triangular2), string(train.ExpRange), string(train.LRRange)},
		Doc: "the learning-rate policy (exp_range decays by gamma; lr_range is one rise, as a stage's lr_range sets it)",
		get: func(c train.Config) any { return string(c.Schedule) }, set: func(c *train.Config, v any) { c.Schedule = train.Schedule(v.(string)) }},
	{Key: "gamma", Section: "training", Kind: KindFloat, Min: 0, MinOpen: true, Max: 1, Condition: "schedule is exp_range",
		Doc: "exp_range's decay per update",
		get: func(c train.Config) any { return c.Gamma }, set: func(c *train.Config, v any) { c.Gamma = v.(float64) }},
	{Key: "shuffle", Section: "training", Kind: KindBool,
		Doc: "reshuffle the batches every epoch",
		get: func(c train.Config) any { return c.Shuffle }, set: func(c *train.Config, v any) { c.Shuffle = v.(bool) }},
	{Key: "precision", Section: "training", Kind: KindEnum, Values: []string{string(train.Float32), string(train.Float64)},
		Doc: "arithmetic of the training loop (float32 is the default)",
		get: func(c train.Config) any { return string(c.Precision) }, set: func(c *train.Config, v any) { c.Precision = train.Precision(v.(string)) }},
}

// rowOf indexes Table by key.
var rowOf = func() map[string]*Setting {
	m := make(map[string]*Setting, len(Table))
	for i := range Table {
		m[Table[i].Key] = &Table[i]
	}
	return m
}()

// Lookup returns the row of a setting by its bare name.
func Lookup(key string) (*Setting, bool) {
	s, ok := rowOf[key]
	return s, ok
}

// Numeric reports whether the setting can be a dimension of a search
// space: a number, or step_size as a number of updates.
func (s *Setting) Numeric() bool {
	return s.Kind == KindInt || s.Kind == KindFloat || s.Kind == KindStepSize
}

// Integer reports whether the setting takes whole numbers.
func (s *Setting) Integer() bool { return s.Kind == KindInt || s.Kind == KindStepSize }

// Bounds describes the values the setting takes, for help text.
func (s *Setting) Bounds() string {
	switch s.Kind {
	case KindEnum:
		return strings.Join(s.Values, " | ")
	case KindBool:
		return "true | false"
	}
	lo := "["
	if s.MinOpen {
		lo = "("
	}
	hi := "inf)"
	if s.Max > 0 {
		hi = fmtNum(s.Max) + "]"
	}
	r := lo + fmtNum(s.Min) + ", " + hi
	if s.Kind == KindStepSize {
		r = "updates in " + r + `, or "K epochs"`
	}
	if s.Condition != "" {
		r += " when " + s.Condition
	}
	return r
}

// numeric reports whether name is a setting that can be searched.
func numeric(name string) bool {
	s, ok := Lookup(name)
	return ok && s.Numeric()
}

// Integer reports whether name is a setting that takes whole numbers.
func Integer(name string) bool {
	s, ok := Lookup(name)
	return ok && s.Integer()
}

func keysOf(section string) []string {
	var keys []string
	for _, s := range Table {
		if s.Section == section || (section == "space" && s.Numeric()) {
			keys = append(keys, s.Key)
		}
	}
	slices.Sort(keys)
	return keys
}

// Settings is a partial set of training and model settings by bare name: a
// stage's overrides, or the settings a stored trial lists. Values have the
// Go type of their row's Kind: int, float64, train.StepSize, string or bool.
type Settings map[string]any

// ApplyTo sets every setting of s in tc.
func (s Settings) ApplyTo(tc *train.Config) error {
	for _, name := range slices.Sorted(maps.Keys(s)) {
		row, ok := Lookup(name)
		if !ok {
			return fmt.Errorf("unknown setting %q", name)
		}
		if err := row.check(s[name]); err != nil {
			return fmt.Errorf("setting %s: %w", name, err)
		}
		row.set(tc, s[name])
	}
	return nil
}

// check reports a value of the wrong Go type for the row's kind.
func (s *Setting) check(v any) error {
	ok := false
	switch s.Kind {
	case KindInt:
		_, ok = v.(int)
	case KindFloat:
		_, ok = v.(float64)
	case KindStepSize:
		_, ok = v.(train.StepSize)
	case KindEnum:
		_, ok = v.(string)
	case KindBool:
		_, ok = v.(bool)
	}
	if !ok {
		return fmt.Errorf("a value of the wrong type %T", v)
	}
	return nil
}

// maxExact bounds the floats taken as integers: beyond it not every integer
// is representable, and int conversion would be implementation-defined.
const maxExact = 1 << 53

// setParam sets a numeric setting from a sampled value; integer settings
// take the nearest integer.
func setParam(tc *train.Config, name string, x float64) error {
	row, ok := Lookup(name)
	if !ok || !row.Numeric() {
		return fmt.Errorf("parameter %q is not a numeric training or model setting", name)
	}
	if !row.Integer() {
		row.set(tc, x)
		return nil
	}
	r := math.Round(x)
	if !(math.Abs(r) <= maxExact) {
		return fmt.Errorf("parameter %s=%s is out of range for an integer", name, fmtNum(x))
	}
	if row.Kind == KindStepSize {
		row.set(tc, train.StepSize{Updates: int(r)})
	} else {
		row.set(tc, int(r))
	}
	return nil
}

// ParamValue reads a numeric setting as a search parameter; a step size in
// epochs, which no dimension can produce, reads as 0.
func ParamValue(tc train.Config, name string) float64 {
	row, ok := Lookup(name)
	if !ok {
		return 0
	}
	switch v := row.get(tc).(type) {
	case int:
		return float64(v)
	case float64:
		return v
	case train.StepSize:
		return float64(v.Updates)
	}
	return 0
}

// FormatParams spells a point of a space for messages: "cycles=3,
// lambda=0.0001", sorted by name.
func FormatParams(params map[string]float64) string {
	if len(params) == 0 {
		return "no parameters"
	}
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + "=" + fmtNum(params[name])
	}
	return strings.Join(parts, ", ")
}

// Help lists every setting for people, one a line: its key path, default,
// bounds and doc, with a note on which can be searched.
func Help() string {
	var b strings.Builder
	defaults := train.DefaultConfig()
	for i := range Table {
		row := &Table[i]
		note := ""
		if row.Numeric() {
			note = " (searchable)"
		}
		fmt.Fprintf(&b, "  %-27s %-12s %s; %s%s\n", row.Section+"."+row.Key, yamlValue(row.get(defaults)), row.Doc, row.Bounds(), note)
	}
	return b.String()
}
