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
	}
	Rank(trials)
	var got []string
	for _, tr := range trials {
		got = append(got, tr.ID)
	}
	want := []string{"tie-cheap-a", "tie-cheap-b", "tie-costly", "low", "nan", "nil", "p1", "d1", "f1"}
	if !slices.Equal(got, want) {
		t.Fatalf("Rank order = %v, want %v", got, want)
	}
}
