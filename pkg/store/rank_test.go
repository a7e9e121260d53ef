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

// Pruned trials follow the done ones, higher rungs first, each rung by its
// metrics; promoted ones follow them the same way, then the unfinished.
func TestRankPrunedAfterDone(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	tr := func(id string, s Status, cycles int, acc float64) Trial {
		return Trial{ID: id, Stage: "sh", Status: s, CyclesTrained: cycles, Final: Metrics{ValAccuracy: f(acc), ValCost: f(1)}}
	}
	trials := []Trial{
		tr("pr1-low", Pruned, 1, 0.3),
		tr("pending", Pending, 0, 0),
		tr("done9", Done, 9, 0.5),
		tr("pr3", Pruned, 3, 0.4),
		tr("pro1", Promoted, 1, 0.45),
		tr("pr1-high", Pruned, 1, 0.42),
		tr("done2", Done, 2, 0.6), // another stage's done trial: by accuracy, not cycles
		tr("pro3", Promoted, 3, 0.48),
		tr("diverged", Diverged, 0, 0),
	}
	Rank(trials)
	var ids []string
	for _, t := range trials {
		ids = append(ids, t.ID)
	}
	want := []string{"done2", "done9", "pr3", "pr1-high", "pr1-low", "pro3", "pro1", "diverged", "pending"}
	if !slices.Equal(ids, want) {
		t.Errorf("Rank order = %v, want %v", ids, want)
	}
}
