package report

import (
	"cmp"
	"maps"
	"math"
	"slices"

	"github.com/sweep-ml/sweep/pkg/store"
)

// Seeds describes the seeds merged into a grouped row.
type Seeds struct {
	IDs  []string // the seeds' trials, by seed index
	Done int      // how many of them are done
	// Std holds, per metric key (see SortKeys), the sample standard
	// deviation (n-1) over the seeds averaged (see groupSeeds), NaN with
	// fewer than two values.
	Std map[string]float64
}

// groupSeeds merges rows listed in the same stage with the same parameters
// into one row per configuration. Metrics are means over the done seeds
// (a diverged or failed seed has no result worth averaging), or over all
// seeds when none is done; seconds are always over all seeds, which all
// spent them. NaN values are left out. The status is the seeds' common
// status, or "mixed".
func groupSeeds(rows []Row) []Row {
	type key struct{ stage, params string }
	var order []key
	groups := map[key][]Row{}
	for _, r := range rows {
		k := key{r.ListedIn, paramsKey(r.Params)}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	out := make([]Row, 0, len(order))
	for _, k := range order {
		out = append(out, mergeSeeds(groups[k]))
	}
	return out
}

// paramsKey is a canonical spelling of a parameter set, exact to the bit.
func paramsKey(p map[string]float64) string {
	var b []byte
	for _, name := range slices.Sorted(maps.Keys(p)) {
		b = append(b, name...)
		b = append(b, 0)
		bits := math.Float64bits(p[name])
		for i := range 8 {
			b = append(b, byte(bits>>(8*i)))
		}
	}
	return string(b)
}

func mergeSeeds(seeds []Row) Row {
	slices.SortFunc(seeds, func(a, b Row) int { return cmp.Or(cmp.Compare(a.SeedIndex, b.SeedIndex), cmp.Compare(a.ID, b.ID)) })
	g := seeds[0]
	s := &Seeds{Std: map[string]float64{}}
	for _, r := range seeds {
		s.IDs = append(s.IDs, r.ID)
		if r.Status == store.Done {
			s.Done++
		}
		if r.Status != g.Status {
			g.Status = "mixed"
		}
		if r.Reused != seeds[0].Reused {
			g.Reused = false
		}
	}
	var final store.Metrics
	for _, c := range metricCols {
		var xs []float64
		for i := range seeds {
			counts := c.key == "seconds" || s.Done == 0 || seeds[i].Status == store.Done
			if v := c.get(&seeds[i].Trial); !math.IsNaN(v) && counts {
				xs = append(xs, v)
			}
		}
		mean, std := meanStd(xs)
		s.Std[c.key] = std
		var p *float64
		if len(xs) > 0 {
			p = &mean
		}
		switch c.key {
		case "val_accuracy":
			final.ValAccuracy = p
		case "val_cost":
			final.ValCost = p
		case "val_loss":
			final.ValLoss = p
		case "train_accuracy":
			final.TrainAccuracy = p
		case "test_accuracy":
			final.TestAccuracy = p
		case "seconds":
			g.Seconds = mean
		}
	}
	g.Final = final
	var wall float64
	for _, r := range seeds {
		wall += r.WallSeconds
	}
	g.WallSeconds = wall / float64(len(seeds))
	g.Seeds = s
	return g
}

// meanStd returns the mean and the sample standard deviation of xs: NaN
// for a mean of nothing, NaN for a deviation of fewer than two values.
func meanStd(xs []float64) (mean, std float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, math.NaN()
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}
