package train

import (
	"math"
	"math/rand/v2"
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

// log returns the natural logarithm of x within 1 ulp. It is FreeBSD's
// e_log.c (as Go's portable math.log): x = 2^k·(1+f) with √2/2 < 1+f < √2,
// log(1+f) = 2s + s·R(s²) for s = f/(2+f).
func log(x float64) float64 {
	const (
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
		l1    = 6.666666666666735130e-01
		l2    = 3.999999999940941908e-01
		l3    = 2.857142874366239149e-01
		l4    = 2.222219843214978396e-01
		l5    = 1.818357216161805012e-01
		l6    = 1.531383769920937332e-01
		l7    = 1.479819860511658591e-01
	)
	switch {
	case x != x || x > math.MaxFloat64: // NaN, +Inf
		return x
	case x < 0:
		return math.NaN()
	case x == 0:
		return math.Inf(-1)
	}
	f1, ki := math.Frexp(x)
	if f1 < math.Sqrt2/2 {
		f1 = float64(f1 * 2) // exact, and not to be fused with the - 1
		ki--
	}
	f := f1 - 1
	k := float64(ki)
	s := f / (2 + f)
	s2 := float64(s * s)
	s4 := float64(s2 * s2)
	t1 := float64(s2 * (l1 + float64(s4*(l3+float64(s4*(l5+float64(s4*l7)))))))
	t2 := float64(s4 * (l2 + float64(s4*(l4+float64(s4*l6)))))
	r := t1 + t2
	hfsq := float64(float64(0.5*f) * f)
	return float64(k*ln2Hi) - ((hfsq - (float64(s*(hfsq+r)) + float64(k*ln2Lo))) - f)
}

// powInt returns x^n for n ≥ 0 by the square-and-multiply of Go's math.Pow
// for whole exponents, in the same order and on Frexp mantissas so that no
// intermediate over- or underflows: its result is math.Pow's where that is
// portable Go (as on amd64 and arm64), and it stays so everywhere.
func powInt(x float64, n int) float64 {
	if n == 0 || x == 1 {
		return 1
	}
	a1, ae := 1.0, 0
	x1, xe := math.Frexp(x)
	for i := n; i != 0; i >>= 1 {
		if xe < -1<<12 || 1<<12 < xe {
			// The result's exponent is out of range already: Ldexp
			// gives 0 or Inf.
			ae += xe
			break
		}
		if i&1 == 1 {
			a1 = float64(a1 * x1)
			ae += xe
		}
		x1 = float64(x1 * x1)
		xe <<= 1
		if x1 < .5 {
			x1 += x1
			xe--
		}
	}
	return math.Ldexp(a1, ae)
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
