package config

import (
	"fmt"
	"math"

	"go.yaml.in/yaml/v3"
)

// TPE says how a tpe stage proposes its points: the first Startup are
// sobol's first points, then each round of Batch points is proposed by a
// tree-structured Parzen estimator from the results of all earlier rounds
// (package search). The stage's trials count the startup points too.
type TPE struct {
	Startup int
	Batch   int
}

// MaxTPETrials bounds a tpe stage's points. A run plans the stage once a
// round, and each plan reads every stored trial and ranks the results so
// far, so a whole run's bookkeeping grows with trials²/batch (the trial
// ids of the points are kept across a run's plans). Measured with
// search's BenchmarkTPEBookkeeping (batch 4, Intel Xeon, 2 cores) it adds
// about 3 ms a trial at 1600 trials; 10000 trials in rounds of 1 project
// to about 12 minutes, some 70 ms a trial, small beside training one, and
// far more trials than a sweep of small networks trains.
const MaxTPETrials = 10_000

// tpe parses a stage's tpe options; given records an explicit startup,
// which the stage otherwise defaults to min(8, trials) once trials is known.
func (p *parser) tpe(v *yaml.Node, path string, st *Stage, given map[string]bool) error {
	st.TPE = &TPE{Batch: 4}
	return p.mapping(v, path, fields{
		"startup": func(v *yaml.Node, path string) (err error) {
			given["tpe.startup"] = true
			st.TPE.Startup, err = p.integer(v, path)
			return err
		},
		"batch": func(v *yaml.Node, path string) (err error) {
			st.TPE.Batch, err = p.integer(v, path)
			return err
		},
	})
}

// checkTPE checks a tpe stage's options against its trials, and that only
// a tpe stage has them.
func (c Config) checkTPE(st *Stage) error {
	at := st.path() + ".tpe"
	t := st.TPE
	switch {
	case st.Sampler != TPESampler && t != nil:
		return c.errorf(at, "the tpe options need sampler: tpe, the stage's sampler is %s", st.Sampler)
	case st.Sampler != TPESampler:
		return nil
	case t == nil:
		return c.errorf(at, "sampler: tpe needs its options {startup, batch}")
	case st.Trials > MaxTPETrials:
		return c.errorf(st.path()+".trials", "a tpe stage proposes at most %d points, got %d", MaxTPETrials, st.Trials)
	case t.Startup < 1 || t.Startup > st.Trials:
		return c.errorf(at+".startup", "must be between 1 and the stage's trials %d, got %d", st.Trials, t.Startup)
	case t.Batch < 1 || t.Batch > MaxTPETrials:
		return c.errorf(at+".batch", "must be between 1 and %d, got %d", MaxTPETrials, t.Batch)
	}
	return nil
}

// checkProposed bounds a tpe stage's stored proposals: coordinates of each
// dimension's sampling range, in [0, 1), in rounds (if stored) of at least
// one point that add up to them.
func checkProposed(points []map[string]float64, rounds []int) error {
	if len(points) > MaxTPETrials {
		return fmt.Errorf("%d proposed points, more than %d", len(points), MaxTPETrials)
	}
	for i, p := range points {
		for name, x := range p {
			if math.IsNaN(x) || x < 0 || x >= 1 {
				return fmt.Errorf("proposed point %d: %s: coordinate %v outside [0, 1)", i, name, x)
			}
		}
	}
	if rounds == nil {
		return nil
	}
	sum := 0
	for k, n := range rounds {
		if n < 1 || n > len(points) {
			return fmt.Errorf("rounds: round %d of %d points, expected 1 to %d", k+1, n, len(points))
		}
		sum += n
	}
	if sum != len(points) {
		return fmt.Errorf("rounds: %d points in rounds, expected the %d proposed", sum, len(points))
	}
	return nil
}

// TPERoundSizes returns the number of points of each proposed round of a
// tpe stage that proposes batch points a round, round 1 first: d.Rounds,
// or for a stage stored before rounds were (none, with proposals), its
// proposals in batches as that release proposed them.
func (d Derived) TPERoundSizes(batch int) []int {
	if len(d.Rounds) > 0 || len(d.Proposed) == 0 {
		return d.Rounds
	}
	var sizes []int
	for left := len(d.Proposed); left > 0; left -= max(1, batch) {
		sizes = append(sizes, min(max(1, batch), left))
	}
	return sizes
}

// TPERound is the round of point i of the stage, given the derived values
// d it stored: 0 for the startup points (and on a stage of another
// sampler), then the stored rounds in turn, then rounds of Batch points
// still to propose.
func (st *Stage) TPERound(d Derived, i int) int {
	t := st.TPE
	if t == nil || i < min(t.Startup, st.Trials) {
		return 0
	}
	i -= min(t.Startup, st.Trials)
	sizes := d.TPERoundSizes(t.Batch)
	for k, n := range sizes {
		if i < n {
			return k + 1
		}
		i -= n
	}
	return len(sizes) + 1 + i/max(1, t.Batch)
}
