package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// reference computes C += A·B in float64 with the naive triple loop.
func reference(rows, cols, k int, a []float64, rsA, csA int, b []float64, ldb int, c []float64, ldc int) {
	for r := range rows {
		for j := range cols {
			s := 0.0
			for p := range k {
				s += a[r*rsA+p*csA] * b[p*ldb+j]
			}
			c[r*ldc+j] += s
		}
	}
}

// The shapes the MulAdd tests run: every edge of the kernels' row and
// column blocks.
var (
	shapeRows = []int{1, 2, 3, 4, 6, 7, 8, 10, 12, 13, 16, 18}
	shapeCols = []int{1, 3, 4, 5, 8, 12, 16, 17, 24, 32, 40, 48, 50, 56, 64, 72, 104}
	shapeK    = []int{1, 2, 9, 100, 256, 300, 600}
)

// Every kernel set must match the float64 reference on all shapes and edge
// sizes.
func TestMulAddMatchesReference(t *testing.T) {
	for _, s := range Available() {
		t.Run(s.Name(), func(t *testing.T) { testMulAdd(t, s) })
	}
}

func testMulAdd(t *testing.T, s Set) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		return x
	}
	for _, rows := range shapeRows {
		for _, cols := range shapeCols {
			for _, k := range shapeK {
				for _, transposedA := range []bool{false, true} {
					rsA, csA := k, 1
					if transposedA {
						rsA, csA = 1, rows
					}
					a, b := fill(rows*k), fill(k*(cols+1))
					ldb, ldc := cols+1, cols+2
					c := fill(rows * ldc)
					want := append([]float64(nil), c...)
					reference(rows, cols, k, a, rsA, csA, b, ldb, want, ldc)
					got := append([]float64(nil), c...)
					MulAdd(s, rows, cols, k, a, rsA, csA, b, ldb, got, ldc)
					got32 := make([]float32, len(c))
					for i := range c {
						got32[i] = float32(c[i])
					}
					MulAdd(s, rows, cols, k, f32(a), rsA, csA, f32(b), ldb, got32, ldc)
					for i := range want {
						if d := math.Abs(got[i] - want[i]); d > 1e-12*(1+math.Abs(want[i])) {
							t.Fatalf("float64 rows=%d cols=%d k=%d T=%v: c[%d]=%g want %g", rows, cols, k, transposedA, i, got[i], want[i])
						}
						if d := math.Abs(float64(got32[i]) - want[i]); d > 1e-4*(float64(k)+math.Abs(want[i])) {
							t.Fatalf("float32 rows=%d cols=%d k=%d T=%v: c[%d]=%g want %g", rows, cols, k, transposedA, i, got32[i], want[i])
						}
						if i%ldc >= cols && got[i] != c[i] {
							t.Fatalf("wrote outside C's columns at %d", i)
						}
					}
				}
			}
		}
	}
}

func f32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i := range x {
		y[i] = float32(x[i])
	}
	return y
}

func TestWiden(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range Available() {
		for _, n := range []int{0, 1, 7, 8, 9, 16, 100, 3072} {
			src := make([]float32, n)
			for i := range src {
				src[i] = float32(rng.NormFloat64() * 1e3)
			}
			dst := make([]float64, n+1)
			dst[n] = -1 // must stay untouched
			Widen(s, dst, src)
			for i, v := range src {
				if dst[i] != float64(v) {
					t.Fatalf("%s n=%d: dst[%d] = %g, want %g", s.Name(), n, i, dst[i], v)
				}
			}
			if dst[n] != -1 {
				t.Fatalf("%s n=%d: wrote past the end", s.Name(), n)
			}
		}
	}
}

// Update agrees with the formula on every path and touches nothing past w.
func TestUpdate(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range Available() {
		for _, n := range []int{0, 3, 8, 13, 64} {
			w, g := make([]float32, n+1), make([]float32, n)
			want := make([]float64, n)
			for i := range n {
				w[i], g[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
				want[i] = float64(w[i]) - 0.1*(float64(g[i])+0.02*float64(w[i]))
			}
			w[n] = 7
			Update(s, w[:n], g, 0.1, 0.02)
			for i := range n {
				if d := math.Abs(float64(w[i]) - want[i]); d > 1e-6*(1+math.Abs(want[i])) {
					t.Fatalf("%s n=%d: w[%d] = %g, want %g", s.Name(), n, i, w[i], want[i])
				}
			}
			if w[n] != 7 {
				t.Fatalf("%s n=%d: wrote past the end", s.Name(), n)
			}
			w64, g64 := make([]float64, n), make([]float64, n)
			for i := range n {
				w64[i], g64[i] = float64(w[i]), float64(g[i])
				want[i] = w64[i] - 0.1*(g64[i]+0.02*w64[i])
			}
			Update(s, w64, g64, 0.1, 0.02)
			for i := range n {
				if d := math.Abs(w64[i] - want[i]); d > 1e-14*(1+math.Abs(want[i])) {
					t.Fatalf("%s float64 n=%d: w[%d] = %g, want %g", s.Name(), n, i, w64[i], want[i])
				}
			}
		}
	}
}
