package detmath

import "math"

// The samplers map exponents to values (lambda = 10^u) and refine ranges
// back (log10 of the top trials' values). Sampled values are trial
// settings, so they enter trial ids and must not depend on the CPU:
// math.Pow and math.Log10 do, through math.Exp (amd64 assembly that takes
// another path without FMA, other assembly on arm64) and math.Log (amd64
// assembly; portable Go that gc fuses on arm64). Pow10 and Log10 are
// math.Pow(10, u) and math.Log10 as amd64 computes them with FMA, where
// every existing sweep was planned, written out in Go: math.FMA where the
// assembly fuses, an explicit conversion where it rounds. So they give
// those bits on every CPU and every stored trial keeps its id.

// Pow10 is math.Pow(10, u): Go's pow for x = 10, with exp below in place
// of math.Exp and Ln10 for math.Log(10), which rounds to it.
func Pow10(u float64) float64 {
	switch {
	case u == 0:
		return 1
	case u == 1:
		return 10
	case u != u:
		return u
	case math.IsInf(u, 1):
		return math.Inf(1)
	case math.IsInf(u, -1):
		return 0
	case u == 0.5:
		return math.Sqrt(10)
	case u == -0.5:
		return 1 / math.Sqrt(10)
	}
	yi, yf := math.Modf(math.Abs(u))
	if yi >= 1<<63 {
		if u > 0 {
			return math.Inf(1)
		}
		return 0
	}
	a1 := 1.0
	if yf != 0 {
		if yf > 0.5 {
			yf--
			yi++
		}
		a1 = exp(float64(yf * math.Ln10)) // math.Log(10) is Ln10 rounded
	}
	a1, ae := PowLoop(a1, 10, int64(yi))
	if u < 0 {
		a1 = 1 / a1
		ae = -ae
	}
	return math.Ldexp(a1, ae)
}

// exp is math.Exp as amd64's assembly computes it on a CPU with FMA
// (Shibata's method, from SLEEF): x = k·ln2 + r, r/16 through a Taylor
// polynomial, then squared back four times.
func exp(x float64) float64 {
	const (
		log2e    = 1.4426950408889634073599246810018920
		ln2U     = 0.69314718055966295651160180568695068359375
		ln2L     = 0.28235290563031577122588448175013436025525412068e-12
		overflow = 7.09782712893384e+02
	)
	switch {
	case x != x || math.IsInf(x, 1):
		return x
	case math.IsInf(x, -1):
		return 0
	case x > overflow:
		return math.Inf(1)
	}
	// CVTSD2SL: round to nearest even, the integer indefinite out of range.
	t := math.RoundToEven(float64(log2e * x))
	k := int64(math.MinInt32)
	if t >= math.MinInt32 && t <= math.MaxInt32 {
		k = int64(t)
	}
	kf := float64(k)
	x = math.FMA(-kf, ln2U, x)
	x = math.FMA(-kf, ln2L, x)
	x = float64(x * 0.0625)
	p := 2.4801587301587301587e-5
	for _, c := range [...]float64{1.9841269841269841270e-4, 1.3888888888888888889e-3,
		8.3333333333333333333e-3, 4.1666666666666666667e-2, 1.6666666666666666667e-1, 0.5, 1} {
		p = math.FMA(p, x, c)
	}
	x = float64(x * p)
	for range 3 {
		x = float64(x * (x + 2))
	}
	x = math.FMA(x, x+2, 1)
	// x · 2^k, as the assembly assembles it.
	e := k + 0x3ff
	switch {
	case e >= 0x7ff:
		return math.Inf(1)
	case e > 0:
		return float64(x * math.Float64frombits(uint64(e)<<52))
	case e < -52:
		return 0
	}
	x = float64(x * math.Float64frombits(uint64(e+0x3fe)<<52))
	return float64(x * math.Float64frombits(1<<52))
}

// Log10 is math.Log10 for the positive normal numbers the samplers pass
// it: math.Log (amd64's assembly, which detmath.Log matches) times 1/ln10.
func Log10(x float64) float64 {
	return float64(Log(x) * (1 / math.Ln10))
}
