package store

import (
	"cmp"
	"math"
	"slices"
)

// Rank orders trials best first: done trials by final validation accuracy
// (higher first), ties by lower validation cost, then by id so the order is
// total; every other trial follows, in stage order, then by index.
func Rank(trials []Trial) {
	slices.SortStableFunc(trials, compareTrials)
}

func compareTrials(a, b Trial) int {
	ad, bd := a.Status == Done, b.Status == Done
	switch {
	case ad && !bd:
		return -1
	case !ad && bd:
		return 1
	case !ad && !bd:
		return cmp.Or(cmp.Compare(a.Stage, b.Stage), cmp.Compare(a.Index, b.Index), cmp.Compare(a.ID, b.ID))
	}
	return cmp.Or(
		compareMetric(-OrNaN(a.Final.ValAccuracy), -OrNaN(b.Final.ValAccuracy)),
		compareMetric(OrNaN(a.Final.ValCost), OrNaN(b.Final.ValCost)),
		cmp.Compare(a.ID, b.ID),
	)
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
