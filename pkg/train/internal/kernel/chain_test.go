package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
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

// fmaChain32 is fmaChain in float32, each term rounded once by fma32
// (which TestFMA32IsCorrectlyRounded holds to math/big).
func fmaChain32(rows, cols, k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int) {
	for r := range rows {
		for j := range cols {
			var acc float32
			for p := range k {
				acc = fma32(a[r*rsA+p*csA], b[p*ldb+j], acc)
			}
			c[r*ldc+j] += acc
		}
	}
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
// G·W2) and random ones in both layouts of A, odd sizes included.
func products(rng *rand.Rand) []product {
	ps := []product{
		{100, 56, 3072, false}, {204, 56, 3072, false}, {100, 24, 3072, false}, {100, 8, 3072, false},
		{3072, 56, 100, true}, {3072, 24, 100, true}, {100, 16, 56, false}, {56, 16, 100, true},
		{100, 56, 16, false},
	}
	for range 300 {
		ps = append(ps, product{1 + rng.IntN(40), 1 + rng.IntN(130), 1 + rng.IntN(80), rng.IntN(2) == 0})
	}
	// A B over smallB (k·(cols+3) float32 past 64 Ki, as mulAddIn lays it
	// out) is blocked over k: k not a multiple of either piece (256
	// float32, 128 float64), 47 rows (a whole band, then 23: every row
	// kernel), columns that take every block, leave a rest to Go, or are
	// past maxSums.
	ps = append(ps, product{47, 56, 3071, false}, product{47, 52, 1283, false}, product{7, 60, 1201, true},
		product{3, 130, 600, false}, product{25, 8, 8000, true}, product{1, 4, 17000, false}, product{2, 56, 1200, false})
	for range 6 {
		cols := 1 + rng.IntN(70)
		ps = append(ps, product{1 + rng.IntN(50), cols, 65536/(cols+3) + 1 + rng.IntN(600), rng.IntN(2) == 0})
	}
	return ps
}

// mulAddIn runs MulAdd on s's kernels, with ldb = cols+3, ldc = cols+1.
func mulAddIn[T Float](s Set, p product, a []T, b []T, c []T) {
	rsA, csA := p.strides()
	MulAdd(s, p.rows, p.cols, p.k, a, rsA, csA, b, p.cols+3, c, p.cols+1)
}

func operands(rng *rand.Rand, p product) (a, b, c []float64) {
	a, b, c = make([]float64, p.rows*p.k), make([]float64, p.k*(p.cols+3)), make([]float64, p.rows*(p.cols+1))
	spread(rng, a)
	spread(rng, b)
	spread(rng, c)
	return a, b, c
}

// testMatchesFMAChain checks that s computes every element of C, in both
// precisions, as the reference chain does, and writes nothing past C's
// columns.
func testMatchesFMAChain(t *testing.T, s Set) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, p := range products(rng) {
		a, b, c := operands(rng, p)
		rsA, csA := p.strides()
		ldb, ldc := p.cols+3, p.cols+1
		want := append([]float64(nil), c...)
		fmaChain(p.rows, p.cols, p.k, a, rsA, csA, b, ldb, want, ldc)
		want32 := f32(c)
		fmaChain32(p.rows, p.cols, p.k, f32(a), rsA, csA, f32(b), ldb, want32, ldc)
		got, got32 := append([]float64(nil), c...), f32(c)
		mulAddIn(s, p, a, b, got)
		mulAddIn(s, p, f32(a), f32(b), got32)
		for r := range p.rows {
			for j := range ldc {
				i := r*ldc + j
				switch {
				case j >= p.cols:
					if got[i] != c[i] || got32[i] != float32(c[i]) {
						t.Fatalf("%s %+v: wrote c[%d][%d], past C's columns", s.Name(), p, r, j)
					}
				case math.Float64bits(got[i]) != math.Float64bits(want[i]):
					t.Fatalf("%s float64 %+v: c[%d][%d] = %v, FMA chain %v", s.Name(), p, r, j, got[i], want[i])
				case math.Float32bits(got32[i]) != math.Float32bits(want32[i]):
					t.Fatalf("%s float32 %+v: c[%d][%d] = %v, FMA chain %v", s.Name(), p, r, j, got32[i], want32[i])
				}
			}
		}
	}
}

// MulAddWidened gives, on every set, the reference chain's bits on the
// widened A, and writes nothing past C's columns: products blocked over k
// (k·(cols+3) past 32 Ki float64), whose pieces the AVX2 and NEON sets
// widen inside the product, with columns past the blocks (54, 58, 2) and
// past maxSums (70), k off the piece size and 47 rows; and small ones,
// which go through buf.
func TestMulAddWidenedMatchesFMAChain(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	ps := []product{{47, 52, 1283, false}, {47, 54, 1283, false}, {5, 58, 1000, false}, {3, 2, 7000, false},
		{2, 70, 500, false}, {30, 52, 600, false}, {9, 13, 40, false}}
	for range 4 {
		cols := 1 + rng.IntN(70)
		ps = append(ps, product{1 + rng.IntN(50), cols, 32768/(cols+3) + 1 + rng.IntN(600), false})
	}
	for _, s := range Available() {
		for _, p := range ps {
			lda, ldb, ldc := p.k+5, p.cols+3, p.cols+1
			a, b, c := make([]float64, p.rows*lda), make([]float64, p.k*ldb), make([]float64, p.rows*ldc)
			spread(rng, a)
			spread(rng, b)
			spread(rng, c)
			a32 := f32(a)
			wide := make([]float64, len(a))
			for i, v := range a32 {
				wide[i] = float64(v)
			}
			want, got := append([]float64(nil), c...), append([]float64(nil), c...)
			fmaChain(p.rows, p.cols, p.k, wide, lda, 1, b, ldb, want, ldc)
			MulAddWidened(s, p.rows, p.cols, p.k, a32, lda, b, ldb, got, ldc, make([]float64, len(a)))
			for i := range got {
				if j := i % ldc; j >= p.cols && got[i] != c[i] {
					t.Fatalf("%s %+v: wrote c[%d][%d], past C's columns", s.Name(), p, i/ldc, j)
				}
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("%s %+v: c[%d][%d] = %v, FMA chain %v", s.Name(), p, i/ldc, i%ldc, got[i], want[i])
				}
			}
		}
	}
}
