package search

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/sweep-ml/sweep/pkg/config"
)

// The tree-structured Parzen estimator (Bergstra, Bardenet, Bengio and
// Kégl 2011) works here in the unit cube: every point is a coordinate in
// [0, 1) per axis, which axis.at maps to a value exactly as it maps sobol's
// (uniform in the exponent of log dimensions, a bin per integer or
// choice). The earlier results, best first, are split into the good
// (the best tpeGood of them) and the rest; each axis gets two densities,
// l from the good and g from the rest, and the candidate among
// tpeCandidates drawn from l with the largest l/g, a product over the
// axes, is proposed. Within a round each proposal joins the rest as the
// worst result (a constant liar), so the round's points spread out.
//
// The densities are Parzen windows of Epanechnikov kernels, truncated to
// [0, 1), plus a uniform prior of the weight of one point; choice axes are
// categorical, counts plus the same prior. Epanechnikov kernels are
// polynomials, so every density is additions, multiplications and
// divisions, written unfused (float64(x*y)) or fused (math.FMA) as meant:
// the proposals are trial ids and come out the same bits on every CPU.
// (Gaussian kernels would need exp and erf, which the math package does
// not promise to compute alike everywhere.)

// tpeCandidates is the number of points drawn from l for each proposal, as
// in hyperopt and Optuna.
const tpeCandidates = 24

// tpeGood is the number of good results among n, of which complete are
// complete trials (the rest diverged or failed, never good): a quarter,
// at least one.
func tpeGood(n, complete int) int {
	return min(complete, max(1, (n+3)/4))
}

// proposeRound returns batch new points, as unit coordinates of axes,
// from the earlier points xs ranked best first, of which the first good
// are the good ones. rng is the round's own source.
func proposeRound(axes []axis, xs [][]float64, good, batch int, rng *rand.Rand) [][]float64 {
	bad := slices.Clone(xs[good:])
	out := make([][]float64, 0, batch)
	for range batch {
		l, g := newParzen(axes, xs[:good]), newParzen(axes, bad)
		var best []float64
		bestScore := math.Inf(-1)
		for range tpeCandidates {
			x := l.sample(rng)
			if s := l.ratio(g, x); s > bestScore {
				best, bestScore = x, s
			}
		}
		out = append(out, best)
		bad = append(bad, best)
	}
	return out
}

// parzen is one density per axis over a set of points.
type parzen struct {
	axes []axis
	dims []parzenAxis
}

// parzenAxis is the density of one axis: kernels at mu with half-widths h
// and masses z inside [0, 1), or, for a choice axis, the categories' counts.
type parzenAxis struct {
	mu, h, z []float64
	counts   []float64 // choice axes only
	cats     []int     // the category of each point, choice axes only
}

func newParzen(axes []axis, xs [][]float64) parzen {
	p := parzen{axes: axes, dims: make([]parzenAxis, len(axes))}
	for j, a := range axes {
		d := &p.dims[j]
		if a.kind == config.Choice {
			d.counts = make([]float64, len(a.values))
			for _, x := range xs {
				c := category(x[j], len(a.values))
				d.counts[c]++
				d.cats = append(d.cats, c)
			}
			continue
		}
		d.mu = make([]float64, len(xs))
		for i, x := range xs {
			d.mu[i] = x[j]
		}
		slices.Sort(d.mu)
		d.h, d.z = bandwidths(d.mu)
	}
	return p
}

// bandwidths gives each kernel of sorted centres mu the half-width of an
// Epanechnikov kernel whose spread is hyperopt's: the larger distance to
// a neighbour (the ends of [0, 1) count as neighbours), at least
// 1/min(100, n+1) and at most 1. z is the kernel's mass inside [0, 1).
func bandwidths(mu []float64) (h, z []float64) {
	n := len(mu)
	h, z = make([]float64, n), make([]float64, n)
	lo := 1 / float64(min(100, n+1))
	for i, m := range mu {
		left, right := m, 1-m
		if i > 0 {
			left = m - mu[i-1]
		}
		if i < n-1 {
			right = mu[i+1] - m
		}
		sigma := min(max(left, right, lo), 1)
		// An Epanechnikov kernel of half-width h has standard deviation
		// h/sqrt(5).
		h[i] = float64(sigma * math.Sqrt(5))
		z[i] = epanechnikovCDF(float64((1-m)/h[i])) - epanechnikovCDF(float64((0-m)/h[i]))
	}
	return h, z
}

// epanechnikovCDF is the distribution function of the kernel 3/4 (1 - t²)
// on [-1, 1]: 1/2 + 3/4 t - 1/4 t³.
func epanechnikovCDF(t float64) float64 {
	t = min(max(t, -1), 1)
	t2 := float64(t * t)
	return math.FMA(t, math.FMA(t2, -0.25, 0.75), 0.5)
}

// category is the choice index coordinate x falls in, as axis.at maps it.
func category(x float64, n int) int {
	return min(int(float64(x*float64(n))), n-1)
}

// density is axis j's density at coordinate x: the prior (1 on [0, 1))
// and every kernel, each of weight 1/(n+1).
func (d *parzenAxis) density(x float64) float64 {
	sum := 1.0
	for i, m := range d.mu {
		t := float64((x - m) / d.h[i])
		if t <= -1 || t >= 1 {
			continue
		}
		q := 1 - float64(t*t)
		sum += float64(float64(0.75*q) / float64(d.h[i]*d.z[i]))
	}
	return sum / float64(len(d.mu)+1)
}

// ratio is l(x)/g(x) over every axis that varies.
func (l parzen) ratio(g parzen, x []float64) float64 {
	r := 1.0
	for j, a := range l.axes {
		var num, den float64
		switch {
		case a.kind == config.Const || a.kind == config.Choice && len(a.values) < 2:
			continue
		case a.kind == config.Choice:
			c := category(x[j], len(a.values))
			num, den = l.dims[j].choiceP(c), g.dims[j].choiceP(c)
		default:
			num, den = l.dims[j].density(x[j]), g.dims[j].density(x[j])
		}
		r = float64(r * float64(num/den))
	}
	return r
}

// choiceP is the probability of category c: its count plus an even share
// of the prior's weight of one, over n+1.
func (d *parzenAxis) choiceP(c int) float64 {
	k := float64(len(d.counts))
	return float64(d.counts[c]+1/k) / float64(len(d.cats)+1)
}

// sample draws a point from the densities, axis by axis: a component
// (the prior or one point's kernel, alike likely), then a value from it.
func (l parzen) sample(rng *rand.Rand) []float64 {
	x := make([]float64, len(l.axes))
	for j, a := range l.axes {
		d := &l.dims[j]
		switch a.kind {
		case config.Const:
			x[j] = 0.5
		case config.Choice:
			n := len(a.values)
			c := rng.IntN(n) // the prior
			if i := rng.IntN(len(d.cats) + 1); i < len(d.cats) {
				c = d.cats[i]
			}
			x[j] = float64(float64(c)+0.5) / float64(n) // the middle of the category's bin
		default:
			i := rng.IntN(len(d.mu) + 1)
			if i == len(d.mu) {
				x[j] = rng.Float64()
				continue
			}
			x[j] = sampleKernel(rng, d.mu[i], d.h[i])
		}
	}
	return x
}

// sampleKernel draws from the Epanechnikov kernel at mu of half-width h,
// truncated to [0, 1), by rejection: with mu inside and h at most
// sqrt(5), at least 30% of its mass lies inside, so 64 tries all fail with
// probability below 1e-9, and then mu itself is taken.
func sampleKernel(rng *rand.Rand, mu, h float64) float64 {
	for range 64 {
		// Devroye's method: of three uniforms on (-1, 1), the middle one
		// in absolute value when the third is the largest, else the third.
		u1, u2, u3 := unitSym(rng), unitSym(rng), unitSym(rng)
		t := u3
		if math.Abs(u3) >= math.Abs(u2) && math.Abs(u3) >= math.Abs(u1) {
			t = u2
		}
		if x := math.FMA(h, t, mu); x >= 0 && x < 1 {
			return x
		}
	}
	return mu
}

func unitSym(rng *rand.Rand) float64 { return float64(2*rng.Float64()) - 1 }
