package store

import (
	"math"
	"slices"
	"testing"
)

func TestRank(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	done := func(id string, acc, cost float64) Trial {
		return Trial{ID: id, Stage: "s", Status: Done, Final: Metrics{ValAccuracy: f(acc), ValCost: f(cost)}}
	}
	trials := []Trial{
		{ID: "f1", Stage: "b", Index: 0, Status: Failed},
		done("low", 0.5, 1),
		done("nan", math.NaN(), 1),
		done("tie-costly", 0.9, 2),
		{ID: "d1", Stage: "a", Index: 1, Status: Diverged},
		done("tie-cheap-b", 0.9, 1),
		done("tie-cheap-a", 0.9, 1),
		{ID: "p1", Stage: "a", Index: 0, Status: Pending},
		{ID: "nil", Stage: "s", Status: Done},
		{ID: "gone", Stage: "0-renamed", Index: 0, Status: Pending},
	}
	ranked := func(stages ...Stage) []string {
		ts := slices.Clone(trials)
		Rank(ts, stages...)
		var ids []string
		for _, tr := range ts {
			ids = append(ids, tr.ID)
		}
		return ids
	}
	done5 := []string{"tie-cheap-a", "tie-cheap-b", "tie-costly", "low", "nan", "nil"}
	for _, c := range []struct {
		name   string
		stages []Stage
		rest   []string
	}{
		// Stage b ran before stage a: its unfinished trials come first,
		// though "a" sorts before "b"; a stage the list lacks comes last.
		{"in stage order", []Stage{{Name: "b", Index: 0}, {Name: "a", Index: 1}, {Name: "s", Index: 2}}, []string{"f1", "p1", "d1", "gone"}},
		{"stages listed out of order", []Stage{{Name: "a", Index: 1}, {Name: "b", Index: 0}}, []string{"f1", "p1", "d1", "gone"}},
		{"without stages, by name", nil, []string{"gone", "p1", "d1", "f1"}},
	} {
		if got, want := ranked(c.stages...), append(slices.Clone(done5), c.rest...); !slices.Equal(got, want) {
			t.Errorf("%s: Rank order = %v, want %v", c.name, got, want)
		}
	}
}
