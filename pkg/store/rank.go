package store

import (
	"cmp"
	"math"
	"slices"
)

// Rank orders trials best first: done trials by final validation accuracy
// (higher first), ties by lower validation cost, then by id so the order is
// total; then pruned trials, higher rungs (more cycles trained) first and
// each rung in the same order, then promoted ones alike (each is repeated
// by its continuation); every other trial follows, in stage order, then by index. Stage
// order is the order of stages (as Stages returns them); a trial is known
// only by its stage's name, so without stages, or for a stage they do not
// list, unfinished trials follow by stage name. Ranking done trials alone
// needs no stages.
func Rank(trials []Trial, stages ...Stage) {
	order := make(map[string]int, len(stages))
	for _, st := range stages {
		order[st.Name] = st.Index
	}
	slices.SortStableFunc(trials, func(a, b Trial) int { return compareTrials(a, b, order) })
}

// rankGroup is the group a status ranks in: results by their metrics
// first, the rest by position.
func rankGroup(s Status) int {
	switch s {
	case Done:
		return 0
	case Pruned:
		return 1
	case Promoted:
		return 2
	}
	return 3
}

func compareTrials(a, b Trial, order map[string]int) int {
	ag, bg := rankGroup(a.Status), rankGroup(b.Status)
	switch {
	case ag != bg:
		return cmp.Compare(ag, bg)
	case ag == 3:
		return cmp.Or(compareStages(a.Stage, b.Stage, order), cmp.Compare(a.Index, b.Index), cmp.Compare(a.ID, b.ID))
	}
	if ag > 0 { // higher rungs first; done trials rank by their metrics alone
		if c := cmp.Compare(b.CyclesTrained, a.CyclesTrained); c != 0 {
			return c
		}
	}
	return cmp.Or(
		compareMetric(-OrNaN(a.Final.ValAccuracy), -OrNaN(b.Final.ValAccuracy)),
		compareMetric(OrNaN(a.Final.ValCost), OrNaN(b.Final.ValCost)),
		cmp.Compare(a.ID, b.ID),
	)
}

// compareStages orders stage names by their index in order; names it does
// not hold come after, by name.
func compareStages(a, b string, order map[string]int) int {
	ai, aok := order[a]
	bi, bok := order[b]
	switch {
	case aok && bok:
		return cmp.Or(cmp.Compare(ai, bi), cmp.Compare(a, b))
	case aok:
		return -1
	case bok:
		return 1
	}
	return cmp.Compare(a, b)
}

// compareMetric orders present numbers ascending; NaN and missing values
// sort after every number.
func compareMetric(av, bv float64) int {
	switch {
	case math.IsNaN(av) && math.IsNaN(bv):
		return 0
	case math.IsNaN(av):
		return 1
	case math.IsNaN(bv):
		return -1
	}
	return cmp.Compare(av, bv)
}
