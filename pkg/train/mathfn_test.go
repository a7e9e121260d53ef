package train

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// ulps is the distance between a and b in units in the last place (the
// number of float64 values from one to the other).
func ulps(a, b float64) uint64 {
	ord := func(x float64) int64 { // monotonic in x, -0 and +0 both 0
		b := int64(math.Float64bits(x))
		if b < 0 {
			b = math.MinInt64 - b
		}
		return b
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return uint64(d)
}

func sameOrBothNaN(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

func TestExpSpecialValues(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{0, 1}, {math.Copysign(0, -1), 1}, {1, math.E}, {math.Inf(1), math.Inf(1)}, {math.Inf(-1), 0},
		{math.NaN(), math.NaN()}, {710, math.Inf(1)}, {-746, 0}, {-745, 5e-324},
		{math.SmallestNonzeroFloat64, 1}, {-math.SmallestNonzeroFloat64, 1},
	} {
		if got := exp(c.x); !sameOrBothNaN(got, c.want) && ulps(got, c.want) > 1 {
			t.Errorf("exp(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

func TestLogSpecialValues(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{1, 0}, {math.E, 1}, {0, math.Inf(-1)}, {math.Copysign(0, -1), math.Inf(-1)}, {-1, math.NaN()},
		{math.Inf(1), math.Inf(1)}, {math.Inf(-1), math.NaN()}, {math.NaN(), math.NaN()},
		{math.SmallestNonzeroFloat64, -744.4400719213812}, {math.MaxFloat64, 709.782712893384},
	} {
		if got := log(c.x); !sameOrBothNaN(got, c.want) && ulps(got, c.want) > 1 {
			t.Errorf("log(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

// bigExp is e^x correctly rounded (to the precision the tests need).
func bigExp(x float64) float64 {
	f, _ := expBig(new(big.Float).SetPrec(300).SetFloat64(x)).Float64()
	return f
}

// expBig is e^x in 300-bit arithmetic: x = k·ln2 + r, then the Taylor
// series of e^r.
func expBig(x *big.Float) *big.Float {
	const prec = 300
	ln2, _ := new(big.Float).SetPrec(prec).SetString("0.693147180559945309417232121458176568075500134360255254120680009493393621969694715605863326996418687542001481020570685734")
	xf, _ := x.Float64()
	k := math.Round(xf / math.Ln2)
	r := new(big.Float).SetPrec(prec).Sub(x, new(big.Float).SetPrec(prec).Mul(ln2, big.NewFloat(k)))
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	for i := int64(1); i < 80; i++ {
		term.Mul(term, r)
		term.Quo(term, new(big.Float).SetInt64(i))
		sum.Add(sum, term)
	}
	return sum.SetMantExp(sum, int(k))
}

// bigLog is log x correctly rounded, by two Newton steps y += x·e^-y - 1
// in 300-bit arithmetic from a first guess.
func bigLog(x float64) float64 {
	f1, e := math.Frexp(x)
	y := new(big.Float).SetPrec(300).SetFloat64(math.Log(f1) + float64(e)*math.Ln2)
	bx := new(big.Float).SetPrec(300).SetFloat64(x)
	for range 2 {
		step := expBig(new(big.Float).SetPrec(300).Neg(y))
		step.Mul(step, bx)
		step.Sub(step, big.NewFloat(1))
		y.Add(y, step)
	}
	f, _ := y.Float64()
	return f
}

// checkUlp fails unless got is within one ulp of the truth: of math's value
// where that is close, else of the correctly rounded reference (math.Exp's
// amd64 assembly overflows from about 709.6, and math.Log's is off by up to
// 0.006 on subnormal arguments; both may also lie a little off on the
// other side of the truth).
func checkUlp(t *testing.T, name string, x, got, mathValue float64, exact func(float64) float64) {
	t.Helper()
	if sameOrBothNaN(got, mathValue) || ulps(got, mathValue) <= 1 && !math.IsInf(mathValue, 0) {
		return
	}
	if want := exact(x); ulps(got, want) > 1 {
		t.Fatalf("%s(%v) = %v, correctly rounded %v (math: %v): %d ulps apart", name, x, got, want, mathValue, ulps(got, want))
	}
}

// exp and log stay within one ulp of the truth over their whole range: the
// arguments the softmax gives them, then every binade.
func TestExpLogWithinOneUlp(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	n := 400000
	if testing.Short() {
		n = 40000
	}
	for i := range n {
		var x float64
		switch i % 4 {
		case 0: // a softmax's scores minus their maximum
			x = -float64(40 * rng.Float64())
		case 1: // the whole range, up to the overflow and underflow thresholds
			x = float64(1490*rng.Float64()) - 745
		case 2: // near zero, where 1 + x is returned
			x = math.Ldexp(rng.Float64()-0.5, -rng.IntN(60))
		default:
			x = math.Float64frombits(rng.Uint64())
		}
		if x < 709.782712893384 && x > -746 {
			checkUlp(t, "exp", x, exp(x), math.Exp(x), bigExp)
		} else if got, want := exp(x), math.Exp(x); !sameOrBothNaN(got, want) {
			t.Fatalf("exp(%v) = %v, math.Exp %v", x, got, want)
		}
		y := math.Abs(x)
		switch i % 3 {
		case 0: // a softmax's sums: 1 to K
			y = 1 + float64(9*rng.Float64())
		case 1: // near 1, where log cancels
			y = 1 + math.Ldexp(rng.Float64()-0.5, -rng.IntN(50))
		}
		if y > 0 && y <= math.MaxFloat64 {
			checkUlp(t, "log", y, log(y), math.Log(y), bigLog)
		} else if got, want := log(y), math.Log(y); !sameOrBothNaN(got, want) {
			t.Fatalf("log(%v) = %v, math.Log %v", y, got, want)
		}
	}
	// Subnormal arguments of log, and exp's subnormal results.
	for x := math.SmallestNonzeroFloat64; x < 0x1p-1000; x *= 3 {
		checkUlp(t, "log", x, log(x), math.Log(x), bigLog)
	}
	for x := -745.1332191019411; x < -708; x += 0.0137 {
		checkUlp(t, "exp", x, exp(x), math.Exp(x), bigExp)
	}
}

// powInt agrees with math.Pow closely everywhere (bit for bit where that is
// portable unfused Go: see pow_amd64_test.go).
func TestPowInt(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for range 20000 {
		x := rng.Float64()
		if rng.IntN(3) == 0 {
			x = 1 - math.Ldexp(rng.Float64(), -rng.IntN(30))
		}
		n := rng.IntN(1 << rng.IntN(24))
		got, want := powInt(x, n), math.Pow(x, float64(n))
		if want == 0 || want < 1e-300 {
			if got > 1e-300 {
				t.Fatalf("powInt(%v, %d) = %v, math.Pow %v", x, n, got, want)
			}
			continue
		}
		if rel := math.Abs(got-want) / want; rel > float64(4*n+4)*0x1p-53 {
			t.Fatalf("powInt(%v, %d) = %v, math.Pow %v", x, n, got, want)
		}
	}
	for _, c := range []struct {
		x    float64
		n    int
		want float64
	}{{0.5, 0, 1}, {0.5, 1, 0.5}, {0.5, 1074, 5e-324}, {0.5, 1075, 0}, {1, 1 << 40, 1}, {0.9, 1 << 40, 0}, {2, 1023, 0x1p1023}} {
		if got := powInt(c.x, c.n); got != c.want {
			t.Errorf("powInt(%v, %d) = %v, want %v", c.x, c.n, got, c.want)
		}
	}
}

func TestNormalMoments(t *testing.T) {
	z := normal{rng: rand.New(rand.NewPCG(25, 26))}
	const n = 200000
	var s, s2, s4 float64
	for range n {
		v := z.next()
		s += v
		s2 = math.FMA(v, v, s2)
		s4 = math.FMA(float64(v*v), float64(v*v), s4)
	}
	mean, variance, kurt := s/n, s2/n, s4/n
	// Four standard errors: 1/√n, √(2/n), √(96/n).
	if math.Abs(mean) > 4/math.Sqrt(n) || math.Abs(variance-1) > 4*math.Sqrt(2.0/n) || math.Abs(kurt-3) > 4*math.Sqrt(96.0/n) {
		t.Fatalf("mean %v, variance %v, fourth moment %v of %d draws; want 0, 1, 3", mean, variance, kurt, n)
	}
}
