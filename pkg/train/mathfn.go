package train

import (
	"math"
	"math/rand/v2"

	"github.com/sweep-ml/sweep/internal/detmath"
)

// The elementary functions of the training loop are the project's own, made
// of +, -, *, / (each product rounded by an explicit conversion, so that no
// compiler fuses it), math.Sqrt (correctly rounded on every CPU) and exact
// bit operations (Frexp, Ldexp, Float64bits), in a fixed order: math.Exp
// and math.Log take per-architecture assembly, and math.Exp another path
// again when the CPU has FMA, so their bits depend on the machine.

// exp returns e^x within 1 ulp. It is FreeBSD's e_exp.c (as Go's portable
// math.exp): x = k·ln2 + r with r = hi - lo, |r| ≤ ln2/2, and a rational
// approximation of e^r.
func exp(x float64) float64 {
	const (
		ln2Hi    = 6.93147180369123816490e-01
		ln2Lo    = 1.90821492927058770002e-10
		log2e    = 1.44269504088896338700e+00
		over     = 7.09782712893383973096e+02
		under    = -7.45133219101941108420e+02
		nearZero = 1.0 / (1 << 28)

		p1 = 1.66666666666666657415e-01
		p2 = -2.77777777770155933842e-03
		p3 = 6.61375632143793436117e-05
		p4 = -1.65339022054652515390e-06
		p5 = 4.13813679705723846039e-08
	)
	switch {
	case x != x:
		return x
	case x > over: // +Inf included
		return math.Inf(1)
	case x < under: // -Inf included
		return 0
	case -nearZero < x && x < nearZero:
		return 1 + x
	}
	var k int
	switch {
	case x < 0:
		k = int(float64(log2e*x) - 0.5)
	case x > 0:
		k = int(float64(log2e*x) + 0.5)
	}
	hi := x - float64(float64(k)*ln2Hi)
	lo := float64(float64(k) * ln2Lo)
	r := hi - lo
	t := float64(r * r)
	c := r - float64(t*(p1+float64(t*(p2+float64(t*(p3+float64(t*(p4+float64(t*p5)))))))))
	y := 1 - ((lo - float64(r*c)/(2-c)) - hi)
	if -1022 < k && k < 1024 {
		// y is about 1, so y·2^k is normal and the product exact: the
		// same as Ldexp, without its general cases.
		return float64(y * math.Float64frombits(uint64(k+1023)<<52))
	}
	return math.Ldexp(y, k)
}

// log is detmath.Log, which the samplers share.
func log(x float64) float64 { return detmath.Log(x) }

// powInt returns x^n for n ≥ 0 by the square-and-multiply of Go's math.Pow
// for whole exponents, in the same order and on Frexp mantissas so that no
// intermediate over- or underflows: its result is math.Pow's where that is
// portable Go (as on amd64 and arm64), and it stays so everywhere.
func powInt(x float64, n int) float64 {
	if n == 0 || x == 1 {
		return 1
	}
	return math.Ldexp(detmath.PowLoop(1, x, int64(n)))
}

// normal draws standard normal numbers from rng by Marsaglia's polar
// method, which needs only uniform numbers, log and a correctly rounded
// square root: math/rand's NormFloat64 calls math.Log and math.Exp in its
// tails. Numbers come in pairs; the second is kept for the next call.
type normal struct {
	rng   *rand.Rand
	spare float64
	has   bool
}

func (n *normal) next() float64 {
	if n.has {
		n.has = false
		return n.spare
	}
	for {
		u := float64(2*n.rng.Float64()) - 1
		v := float64(2*n.rng.Float64()) - 1
		s := float64(u*u) + float64(v*v)
		if s > 0 && s < 1 {
			f := math.Sqrt(float64(-2*log(s)) / s)
			n.spare, n.has = float64(v*f), true
			return float64(u * f)
		}
	}
}
