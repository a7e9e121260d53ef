package kernel

import (
	"math"
	"math/big"
	"math/rand/v2"
	"runtime"
	"testing"
)

// exactFMA32 is x*y + z computed exactly and rounded once to float32 by
// math/big, the reference fma32 must equal. ok is false where big.Float
// cannot hold an operand (infinities and NaN).
func exactFMA32(x, y, z float32) (r float32, ok bool) {
	for _, v := range []float32{x, y, z} {
		if math.IsInf(float64(v), 0) || math.IsNaN(float64(v)) {
			return 0, false
		}
	}
	// 1200 bits hold any product of two float32 plus any float32 exactly.
	f := func(v float32) *big.Float { return new(big.Float).SetPrec(1200).SetFloat64(float64(v)) }
	p := new(big.Float).SetPrec(1200).Mul(f(x), f(y))
	s := new(big.Float).SetPrec(1200).Add(p, f(z))
	r, _ = s.Float32()
	return r, true
}

// fmaCases yields adversarial float32 triples: products that land just
// around half an ulp of the addend (ties and near-ties, where rounding
// twice goes wrong), near-cancellations, subnormals, the extremes of the
// exponent range, signed zeros, infinities and NaN, and random bit
// patterns.
func fmaCases(rng *rand.Rand, n int) [][3]float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, 2,
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 1.1754942e-38, math.MaxFloat32, -math.MaxFloat32,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1 + 0x1p-23, 1 - 0x1p-24, 0x1p-24, 0x1p-126, 0x1p127}
	randBits := func() float32 { return math.Float32frombits(rng.Uint32()) }
	// fewBits has a short random mantissa, so products are often exact
	// ties of the addend's rounding.
	fewBits := func(e int) float32 {
		m := float64(1<<rng.IntN(8) + rng.IntN(1<<rng.IntN(12)))
		v := float32(math.Ldexp(m, e-math.Ilogb(m)))
		if rng.IntN(2) == 0 {
			v = -v
		}
		return v
	}
	var out [][3]float32
	for _, x := range special {
		for _, y := range special {
			for _, z := range special {
				out = append(out, [3]float32{x, y, z})
			}
		}
	}
	for len(out) < n {
		switch rng.IntN(5) {
		case 0:
			out = append(out, [3]float32{randBits(), randBits(), randBits()})
		case 1: // x*y near half an ulp of z
			ez := rng.IntN(250) - 125
			ex := rng.IntN(60) - 30
			z := fewBits(ez)
			x := fewBits(ex)
			y := fewBits(ez - 24 - ex + rng.IntN(5) - 2)
			out = append(out, [3]float32{x, y, z})
		case 2: // near-cancellation: x*y close to -z
			x, y := float32(rng.NormFloat64()), float32(math.Ldexp(rng.NormFloat64(), rng.IntN(100)-50))
			z := -float32(float64(x) * float64(y))
			if rng.IntN(2) == 0 {
				z = math.Nextafter32(z, float32(math.Inf(1)))
			}
			out = append(out, [3]float32{x, y, z})
		case 3: // subnormal and tiny results
			x := float32(math.Ldexp(rng.Float64()+0.5, -rng.IntN(80)-40))
			y := float32(math.Ldexp(rng.Float64()+0.5, -rng.IntN(40)-20))
			z := math.Float32frombits(rng.Uint32() & 0x807fffff) // subnormal or zero
			out = append(out, [3]float32{x, y, z})
		default: // near overflow
			x := float32(math.Ldexp(rng.Float64()+0.5, 64+rng.IntN(5)))
			y := float32(math.Ldexp(rng.Float64()+0.5, 63+rng.IntN(3)))
			z := float32(math.Ldexp(rng.Float64()-0.5, 127))
			out = append(out, [3]float32{x, y, z})
		}
	}
	return out
}

func sameFloat32(a, b float32) bool {
	if a != a || b != b { // NaN payloads differ between CPUs; NaN-ness may not
		return a != a && b != b
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

func TestFMA32IsCorrectlyRounded(t *testing.T) {
	n := 300000
	if testing.Short() {
		n = 30000
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, c := range fmaCases(rng, n) {
		got := fma32(c[0], c[1], c[2])
		want, ok := exactFMA32(c[0], c[1], c[2])
		if !ok {
			// Infinities and NaN: float64 arithmetic is IEEE, so the
			// float64 fma of the widened operands is the reference.
			want = float32(math.FMA(float64(c[0]), float64(c[1]), float64(c[2])))
		}
		if !sameFloat32(got, want) {
			t.Fatalf("fma32(%g, %g, %g) = %g (%#08x), want %g (%#08x)", c[0], c[1], c[2],
				got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
}

// The assembly sets compute the same fma as fma32: each element of an 8x8
// MulAdd with k = 2 and B's first row all ones is fma(x_r, y_j, z_r + 0)
// added to C = -0 (which keeps every value, -0 included); z_r + 0 is z_r
// but for -0.
func TestFMA32MatchesEverySet(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	cases := fmaCases(rng, 64*3000)
	for _, s := range Available() {
		if s == (Set{}) {
			continue
		}
		for i := 0; i+64 <= len(cases); i += 64 {
			a := make([]float32, 16) // 8 x 2: z_r, x_r
			b := make([]float32, 16) // 2 x 8: 1, y_j
			for r := range 8 {
				a[2*r], a[2*r+1] = cases[i+r][2], cases[i+r][0]
			}
			for j := range 8 {
				b[j], b[8+j] = 1, cases[i+8+j][1]
			}
			c := make([]float32, 64)
			for j := range c {
				c[j] = float32(math.Copysign(0, -1))
			}
			MulAdd(s, 8, 8, 2, a, 2, 1, b, 8, c, 8)
			for r := range 8 {
				for j := range 8 {
					x, y, z := a[2*r+1], b[8+j], a[2*r]+0
					if want := fma32(x, y, z); !sameFloat32(c[r*8+j], want) {
						t.Fatalf("%s: fma(%g, %g, %g) = %g (%#08x), fma32 gives %g (%#08x)", s.Name(), x, y, z,
							c[r*8+j], math.Float32bits(c[r*8+j]), want, math.Float32bits(want))
					}
				}
			}
		}
	}
}

// spread fills x with values of both signs over many binades, so that the
// sums cancel and round often.
func spread(rng *rand.Rand, x []float64) {
	for i := range x {
		x[i] = math.Ldexp(rng.NormFloat64(), rng.IntN(24)-12)
	}
}

// Every set gives the generic set's bits, on every shape, for both element
// types and both layouts of A.
func TestSetsAgreeBitForBit(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, s := range Available() {
		if s == (Set{}) {
			continue
		}
		for _, rows := range shapeRows {
			for _, cols := range shapeCols {
				for _, k := range shapeK {
					transposedA := rng.IntN(2) == 0
					rsA, csA := k, 1
					if transposedA {
						rsA, csA = 1, rows
					}
					a, b := make([]float64, rows*k), make([]float64, k*(cols+1))
					spread(rng, a)
					spread(rng, b)
					ldb, ldc := cols+1, cols+2
					c := make([]float64, rows*ldc)
					spread(rng, c)
					want, got := append([]float64(nil), c...), append([]float64(nil), c...)
					MulAdd(Set{}, rows, cols, k, a, rsA, csA, b, ldb, want, ldc)
					MulAdd(s, rows, cols, k, a, rsA, csA, b, ldb, got, ldc)
					want32, got32 := f32(c), f32(c)
					MulAdd(Set{}, rows, cols, k, f32(a), rsA, csA, f32(b), ldb, want32, ldc)
					MulAdd(s, rows, cols, k, f32(a), rsA, csA, f32(b), ldb, got32, ldc)
					for i := range want {
						if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
							t.Fatalf("%s float64 rows=%d cols=%d k=%d T=%v: c[%d] = %v, generic %v", s.Name(), rows, cols, k, transposedA, i, got[i], want[i])
						}
						if math.Float32bits(got32[i]) != math.Float32bits(want32[i]) {
							t.Fatalf("%s float32 rows=%d cols=%d k=%d T=%v: c[%d] = %v, generic %v", s.Name(), rows, cols, k, transposedA, i, got32[i], want32[i])
						}
					}
				}
			}
		}
	}
}

func TestUpdateBitForBit(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, s := range Available() {
		for _, n := range []int{1, 7, 8, 13, 64, 1001} {
			w, g := make([]float64, n), make([]float64, n)
			spread(rng, w)
			spread(rng, g)
			eta, tt := math.Ldexp(rng.Float64(), -rng.IntN(10)), math.Ldexp(rng.Float64(), -rng.IntN(20))
			want, got := append([]float64(nil), w...), append([]float64(nil), w...)
			Update(Set{}, want, g, eta, tt)
			Update(s, got, g, eta, tt)
			want32, got32, g32 := f32(w), f32(w), f32(g)
			Update(Set{}, want32, g32, float32(eta), float32(tt))
			Update(s, got32, g32, float32(eta), float32(tt))
			for i := range n {
				u := math.FMA(tt, w[i], g[i])
				if exact := math.FMA(-u, eta, w[i]); math.Float64bits(want[i]) != math.Float64bits(exact) {
					t.Fatalf("generic float64 w[%d] = %v, want %v", i, want[i], exact)
				}
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) || math.Float32bits(got32[i]) != math.Float32bits(want32[i]) {
					t.Fatalf("%s n=%d: w[%d] = %v / %v, generic %v / %v", s.Name(), n, i, got[i], got32[i], want[i], want32[i])
				}
			}
		}
	}
}

func TestLookup(t *testing.T) {
	for _, s := range Available() {
		got, known, runs := Lookup(s.Name())
		if got != s || !known || !runs {
			t.Errorf("Lookup(%q) = %v, %v, %v", s.Name(), got, known, runs)
		}
	}
	if av := Available(); av[len(av)-1] != (Set{}) || Default() != av[0] {
		t.Errorf("Available() = %v: want generic last and Default() first", av)
	}
	if _, known, _ := Lookup("avx2-fma"); known {
		t.Error("Lookup knows avx2-fma")
	}
	// Every arm64 CPU has NEON, and no other architecture runs it.
	if _, known, runs := Lookup("neon"); !known || runs != (runtime.GOARCH == "arm64") {
		t.Errorf("Lookup(neon) = known %v runs %v on %s", known, runs, runtime.GOARCH)
	}
}
