package config

import (
	"math"

	"go.yaml.in/yaml/v3"

	"github.com/sweep-ml/sweep/pkg/train"
)

// LRRange makes a stage the LR range test: one training whose learning
// rate rises log-linearly from Min to Max over Epochs epochs (schedule
// lr_range), from whose history the stage derives eta_min and eta_max for
// every later stage.
type LRRange struct {
	Min, Max float64
	Epochs   int
}

// RangePoints is the number of records of a range test after step 0, or
// one per update when it makes fewer updates: enough to place a peak
// within 1/100 of the span, few enough to cost little evaluation.
const RangePoints = 100

// RangeRates are the learning rates a range stage derived, which every
// later stage trains with instead of the training section's.
type RangeRates struct {
	EtaMin float64 `json:"eta_min"`
	EtaMax float64 `json:"eta_max"`
}

// rangeSet lists the settings lr_range sets itself, which a range stage
// may not override.
var rangeSet = []string{"schedule", "eta_min", "eta_max", "step_size", "cycles", "records_per_cycle", "gamma"}

func (p *parser) lrRange(v *yaml.Node, path string, st *Stage) error {
	st.LRRange = &LRRange{Min: 1e-5, Max: 1, Epochs: 2}
	return p.mapping(v, path, fields{
		"min": func(v *yaml.Node, path string) (err error) {
			st.LRRange.Min, err = p.number(v, path)
			return err
		},
		"max": func(v *yaml.Node, path string) (err error) {
			st.LRRange.Max, err = p.number(v, path)
			return err
		},
		"epochs": func(v *yaml.Node, path string) (err error) {
			st.LRRange.Epochs, err = p.integer(v, path)
			return err
		},
	})
}

// checkRange checks a range stage: its bounds, and nothing beside it that
// samples or overrides what the range test sets.
func (c Config) checkRange(st *Stage) error {
	r := st.LRRange
	if r == nil {
		return nil
	}
	at := st.path() + ".lr_range"
	beside := func(key string) error {
		return c.errorf(st.path()+"."+key, "%s beside lr_range: a range stage is one training and samples nothing", key)
	}
	if key := st.samplingKey(); key != "" {
		return beside(key)
	}
	switch {
	case st.Best != 0:
		return beside("best")
	case st.Seeds != 1:
		return beside("seeds")
	}
	for _, name := range rangeSet {
		if _, ok := st.Training[name]; ok {
			return c.errorf(st.path()+".training."+name, "set by the stage's lr_range; remove it here")
		}
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case !finite(r.Min) || r.Min <= 0:
		return c.errorf(at+".min", "must be a finite number > 0, got %s", fmtNum(r.Min))
	case !finite(r.Max) || r.Max <= r.Min:
		return c.errorf(at+".max", "must be a finite number above min %s, got %s", fmtNum(r.Min), fmtNum(r.Max))
	case r.Epochs < 1 || r.Epochs > train.MaxUpdates:
		return c.errorf(at+".epochs", "must be between 1 and %d, got %d", train.MaxUpdates, r.Epochs)
	}
	return nil
}

// RangeConfig returns the training of a range stage on nTrain examples:
// the stage's settings with the lr_range schedule from min to max over its
// epochs as one cycle, recorded at RangePoints steps (every step of a
// shorter run). With nTrain 0 the records are RangePoints.
func (c Config) RangeConfig(st *Stage, nTrain int) (train.Config, error) {
	tc, err := c.TrainConfig(st, nil)
	if err != nil {
		return train.Config{}, err
	}
	r := st.LRRange
	tc.Schedule, tc.EtaMin, tc.EtaMax = train.LRRange, r.Min, r.Max
	tc.StepSize, tc.Cycles = train.StepSize{Epochs: r.Epochs}, 1
	tc.RecordsPerCycle = RangePoints
	if nTrain > 0 && tc.BatchSize <= nTrain && r.Epochs <= train.MaxUpdates/max(1, nTrain/tc.BatchSize) {
		tc.RecordsPerCycle = min(RangePoints, tc.StepSize.Resolve(nTrain/tc.BatchSize))
	}
	return tc, nil
}

// WithRates returns c training with a range stage's derived rates in
// place of the training section's.
func (c Config) WithRates(r RangeRates) Config {
	c.Training.EtaMin, c.Training.EtaMax = r.EtaMin, r.EtaMax
	return c
}
