package detmath

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"golang.org/x/sys/cpu"
)

// On amd64 with FMA, where the sweeps so far were planned, Pow10, exp and
// Log10 are math.Pow(10, u), math.Exp and math.Log10 bit for bit, so that
// every stored trial keeps its id; elsewhere math's functions give other
// bits, which is why the samplers do not call them.
func TestMathFnMatchesAMD64FMA(t *testing.T) {
	if runtime.GOARCH != "amd64" || !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		t.Skip("math.Exp takes its FMA path only on amd64 with AVX2 and FMA")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 2_000_000
	if testing.Short() {
		n = 200_000
	}
	check := func(what string, x, got, want float64) {
		t.Helper()
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%s(%v) = %v, math gives %v", what, x, got, want)
		}
	}
	for _, u := range []float64{0, 1, -1, 0.5, -0.5, 2, -5, 308, 309, -323, -324, 1e20, -1e20, math.Inf(1), math.Inf(-1)} {
		check("pow10", u, Pow10(u), math.Pow(10, u))
	}
	for _, x := range []float64{0, -0, 1, 709.78, 709.8, -745.1, -745.2, -708, -720, 1e300, -1e300, math.Inf(1), math.Inf(-1)} {
		check("exp", x, exp(x), math.Exp(x))
	}
	for _, x := range []float64{1, 10, 1e-5, math.Sqrt2 / 2, math.Nextafter(math.Sqrt2/2, 0), math.Sqrt2, 0.5, math.MaxFloat64, 0x1p-1022} {
		check("log10", x, Log10(x), math.Log10(x))
	}
	for range n {
		u := -12 + 24*rng.Float64()
		check("pow10", u, Pow10(u), math.Pow(10, u))
		x := -750 + 1460*rng.Float64()
		check("exp", x, exp(x), math.Exp(x))
		v := math.Ldexp(0.5+rng.Float64()/2, rng.IntN(2000)-1000)
		check("log10", v, Log10(v), math.Log10(v))
	}
}
