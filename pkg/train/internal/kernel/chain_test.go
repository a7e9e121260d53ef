package kernel

import (
	"math"
	"math/rand/v2"
)

// The reference the block kernels (AVX2, NEON) are tested against, and the
// products they are tested on.

// fmaChain is the invariant every kernel keeps, in float64: acc = 0, acc =
// fma(a[r,p], b[p,j], acc) for p in order, c += acc.
func fmaChain(rows, cols, k int, a []float64, rsA, csA int, b []float64, ldb int, c []float64, ldc int) {
	for r := range rows {
		for j := range cols {
			acc := 0.0
			for p := range k {
				acc = math.FMA(a[r*rsA+p*csA], b[p*ldb+j], acc)
			}
			c[r*ldc+j] += acc
		}
	}
}

// fmaChain32 is fmaChain in float32, with refFMA32's single rounding.
func fmaChain32(rows, cols, k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int) {
	for r := range rows {
		for j := range cols {
			var acc float32
			for p := range k {
				acc = refFMA32(a[r*rsA+p*csA], b[p*ldb+j], acc)
			}
			c[r*ldc+j] += acc
		}
	}
}

// refFMA32 is x*y + z rounded once to float32, for finite operands: the
// product is exact in float64, and the float64 sum rounded to odd, then to
// float32, is correctly rounded (float64 has more than 2·24 + 2 bits;
// Boldo and Melquiond, "Emulation of FMA and correctly rounded sums").
func refFMA32(x, y, z float32) float32 {
	p, zz := float64(x)*float64(y), float64(z)
	s := p + zz
	bb := s - p
	e := (p - (s - bb)) + (zz - bb) // s + e = p + zz exactly (TwoSum)
	if bits := math.Float64bits(s); e != 0 && bits&1 == 0 {
		// The exact sum lies between s and its odd neighbour on e's side.
		if (e > 0) == (s > 0) {
			bits++
		} else {
			bits--
		}
		s = math.Float64frombits(bits)
	}
	return float32(s)
}

type product struct {
	rows, cols, k int
	transposedA   bool
}

func (p product) strides() (rsA, csA int) {
	if p.transposedA {
		return 1, p.rows
	}
	return p.k, 1
}

// products are the step's own (X·W1 over a whole 56-unit panel and the
// 24-unit panels of AVX-512 float64, evaluation blocks, Xᵀ·G1, H·W2, Hᵀ·G,
// G·W2) and random ones in both layouts of A, odd sizes included; the
// random ones of whole24 have 24n rows and 8n columns, which the AVX-512
// set computes wholly in assembly too.
func products(rng *rand.Rand, whole24 bool) []product {
	if whole24 {
		ps := []product{
			{96, 56, 3072, false}, {48, 56, 3072, false}, {3072, 56, 100, true}, {3072, 24, 100, true},
			{48, 16, 56, false}, {48, 56, 16, false},
		}
		for range 100 {
			ps = append(ps, product{24 * (1 + rng.IntN(3)), 8 * (1 + rng.IntN(15)), 1 + rng.IntN(80), rng.IntN(2) == 0})
		}
		return ps
	}
	ps := []product{
		{100, 56, 3072, false}, {204, 56, 3072, false}, {100, 24, 3072, false}, {100, 8, 3072, false},
		{3072, 56, 100, true}, {100, 16, 56, false}, {56, 16, 100, true}, {100, 56, 16, false},
	}
	for range 300 {
		ps = append(ps, product{1 + rng.IntN(40), 1 + rng.IntN(130), 1 + rng.IntN(80), rng.IntN(2) == 0})
	}
	return ps
}

// mulAddIn runs MulAdd on mode's kernels, with ldb = cols+3, ldc = cols+1.
func mulAddIn[T Float](mode kernelMode, p product, a []T, b []T, c []T) {
	setMode(mode)
	defer setMode(kernelModes()[0])
	rsA, csA := p.strides()
	MulAdd(p.rows, p.cols, p.k, a, rsA, csA, b, p.cols+3, c, p.cols+1)
}

func operands(rng *rand.Rand, p product) (a, b, c []float64) {
	a, b, c = make([]float64, p.rows*p.k), make([]float64, p.k*(p.cols+3)), make([]float64, p.rows*(p.cols+1))
	fillSpread(rng, a)
	fillSpread(rng, b)
	fillSpread(rng, c)
	return a, b, c
}

// fillSpread fills x with values of both signs over many binades, so that
// the sums cancel and round often.
func fillSpread(rng *rand.Rand, x []float64) {
	for i := range x {
		x[i] = math.Ldexp(rng.NormFloat64(), rng.IntN(24)-12)
	}
}
