package detmath

import "math"

// Log returns the natural logarithm of x within 1 ulp. It is FreeBSD's
// e_log.c (as Go's portable math.log, and in the order of amd64's
// assembly, which it matches bit for bit for positive normal x): x =
// 2^k·(1+f) with √2/2 < 1+f < √2, log(1+f) = 2s + s·R(s²) for s = f/(2+f).
func Log(x float64) float64 {
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

// PowLoop multiplies a1·2^0 by x^n for n ≥ 0 by the square-and-multiply of
// Go's math.Pow for whole exponents, in the same order and on Frexp
// mantissas so that no intermediate over- or underflows; the result is
// math.Ldexp(a, e).
func PowLoop(a1, x float64, n int64) (a float64, e int) {
	x1, xe := math.Frexp(x)
	for i := n; i != 0; i >>= 1 {
		if xe < -1<<12 || 1<<12 < xe {
			// The result's exponent is out of range already: Ldexp
			// gives 0 or Inf.
			e += xe
			break
		}
		if i&1 == 1 {
			a1 = float64(a1 * x1)
			e += xe
		}
		x1 = float64(x1 * x1)
		xe <<= 1
		if x1 < .5 {
			x1 += x1
			xe--
		}
	}
	return a1, e
}
