package store

import (
	"cmp"
	"math"
	"slices"
)

// Rank orders trials best first: done trials by final validation accuracy
// (higher first), ties by lower validation cost, then by id so the order is
// total; every other trial follows, in stage order, then by index. Stage
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

func compareTrials(a, b Trial, order map[string]int) int {
	ad, bd := a.Status == Done, b.Status == Done
	switch {
	case ad && !bd:
		return -1
	case !ad && bd:
		return 1
	case !ad && !bd:
		return cmp.Or(compareStages(a.Stage, b.Stage, order), cmp.Compare(a.Index, b.Index), cmp.Compare(a.ID, b.ID))
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
