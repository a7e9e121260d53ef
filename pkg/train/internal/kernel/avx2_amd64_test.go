package kernel

import (
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

var (
	avx2Mode   = kernelMode{fma: true}
	avx512Mode = kernelMode{fma: true, avx512: true}
)

// The AVX2 set computes every row of a column block in assembly, each
// element one FMA chain in k order: bit for bit the reference chain in
// both precisions. Columns past the last whole vector (8 float32, 4
// float64) are the portable Go code's, which rounds after every product
// until the numerics branch (issue 11) makes it the same chain; until then
// they are left out here.
func TestAVX2MatchesFMAChain(t *testing.T) {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		t.Skip("avx2: this CPU has no AVX2 with FMA")
	}
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
		mulAddIn(avx2Mode, p, a, b, got)
		mulAddIn(avx2Mode, p, f32(a), f32(b), got32)
		for r := range p.rows {
			for j := range ldc {
				i := r*ldc + j
				switch {
				case j >= p.cols:
					if got[i] != c[i] || got32[i] != float32(c[i]) {
						t.Fatalf("avx2 %+v: wrote c[%d][%d], past C's columns", p, r, j)
					}
				case j < p.cols/4*4 && math.Float64bits(got[i]) != math.Float64bits(want[i]):
					t.Fatalf("avx2 float64 %+v: c[%d][%d] = %v, FMA chain %v", p, r, j, got[i], want[i])
				case j < p.cols/8*8 && math.Float32bits(got32[i]) != math.Float32bits(want32[i]):
					t.Fatalf("avx2 float32 %+v: c[%d][%d] = %v, FMA chain %v", p, r, j, got32[i], want32[i])
				}
			}
		}
	}
}

// On products the AVX-512 set computes wholly in assembly, the AVX2 set
// gives its bits on every element, in both precisions.
func TestAVX2MatchesAVX512(t *testing.T) {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		t.Skip("avx2: this CPU has no AVX2 with FMA")
	}
	if !cpu.X86.HasAVX512F || !cpu.X86.HasAVX512VL || !cpu.X86.HasAVX512DQ {
		t.Skip("avx512: this CPU has no AVX-512 F, VL and DQ")
	}
	rng := rand.New(rand.NewPCG(23, 24))
	for _, p := range products(rng, true) {
		a, b, c := operands(rng, p)
		got, want := append([]float64(nil), c...), append([]float64(nil), c...)
		got32, want32 := f32(c), f32(c)
		mulAddIn(avx2Mode, p, a, b, got)
		mulAddIn(avx512Mode, p, a, b, want)
		mulAddIn(avx2Mode, p, f32(a), f32(b), got32)
		mulAddIn(avx512Mode, p, f32(a), f32(b), want32)
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("float64 %+v: c[%d] = %v on avx2, %v on avx512", p, i, got[i], want[i])
			}
			if math.Float32bits(got32[i]) != math.Float32bits(want32[i]) {
				t.Fatalf("float32 %+v: c[%d] = %v on avx2, %v on avx512", p, i, got32[i], want32[i])
			}
		}
	}
}
