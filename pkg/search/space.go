package search

import (
	"math"

	"github.com/sweep-ml/sweep/internal/detmath"
	"github.com/sweep-ml/sweep/pkg/config"
)

// RefineRange returns the interval around the given values of a refine
// dimension (the values of the runner's top trials, which must be
// non-empty): [min log10 - margin, max log10 + margin] for log kinds, in
// decades, and [min - margin, max + margin] otherwise. The result is not
// clamped to the stage's original bounds, so a refined search can move past
// an edge where the best values sit.
func RefineRange(values []float64, kind config.DimKind, margin float64) config.Range {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if kind.Log() {
			v = detmath.Log10(v) // not math.Log10, whose bits depend on the CPU
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return config.Range{Lo: lo - margin, Hi: hi + margin}
}
