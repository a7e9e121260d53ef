package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The NEON set computes every row of a column block in assembly, each
// element one FMLA chain in k order: bit for bit the reference chain in
// both precisions (the float32 reference rounds once per FMA, exactly).
// Columns past the last whole vector (4 float32, 2 float64) are the
// portable Go code's, which the compiler may or may not fuse until the
// numerics branch (issue 11) makes it the same chain; until then they are
// left out here. Run on amd64 with
// GOARCH=arm64 go test -exec qemu-aarch64-static ./pkg/train/internal/kernel/.
func TestNEONMatchesFMAChain(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, p := range products(rng, false) {
		a, b, c := operands(rng, p)
		rsA, csA := p.strides()
		ldb, ldc := p.cols+3, p.cols+1
		want := append([]float64(nil), c...)
		fmaChain(p.rows, p.cols, p.k, a, rsA, csA, b, ldb, want, ldc)
		want32 := f32(c)
		fmaChain32(p.rows, p.cols, p.k, f32(a), rsA, csA, f32(b), ldb, want32, ldc)
		got, got32 := append([]float64(nil), c...), f32(c)
		mulAddIn(kernelMode{}, p, a, b, got)
		mulAddIn(kernelMode{}, p, f32(a), f32(b), got32)
		for r := range p.rows {
			for j := range ldc {
				i := r*ldc + j
				switch {
				case j >= p.cols:
					if got[i] != c[i] || got32[i] != float32(c[i]) {
						t.Fatalf("neon %+v: wrote c[%d][%d], past C's columns", p, r, j)
					}
				case j < p.cols/2*2 && math.Float64bits(got[i]) != math.Float64bits(want[i]):
					t.Fatalf("neon float64 %+v: c[%d][%d] = %v, FMA chain %v", p, r, j, got[i], want[i])
				case j < p.cols/4*4 && math.Float32bits(got32[i]) != math.Float32bits(want32[i]):
					t.Fatalf("neon float32 %+v: c[%d][%d] = %v, FMA chain %v", p, r, j, got32[i], want32[i])
				}
			}
		}
	}
}
