package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// lookupRuns is the set called name, or skips t where this CPU cannot run it.
func lookupRuns(t *testing.T, name string) Set {
	s, known, runs := Lookup(name)
	if !known || !runs {
		t.Skipf("this CPU cannot run the %s kernel set", name)
	}
	return s
}

// The AVX2 set computes every row of a column block in assembly, each
// element one FMA chain in k order, and the columns past its last whole
// vector in Go as the same chain: bit for bit the reference chain on every
// element, in both precisions.
func TestAVX2MatchesFMAChain(t *testing.T) {
	testMatchesFMAChain(t, lookupRuns(t, "avx2"))
}

// The AVX2 set gives the AVX-512 set's bits on every element of every
// product, in both precisions, though the two block C differently.
func TestAVX2MatchesAVX512(t *testing.T) {
	avx2, avx512 := lookupRuns(t, "avx2"), lookupRuns(t, "avx512")
	rng := rand.New(rand.NewPCG(23, 24))
	for _, p := range products(rng) {
		a, b, c := operands(rng, p)
		got, want := append([]float64(nil), c...), append([]float64(nil), c...)
		got32, want32 := f32(c), f32(c)
		mulAddIn(avx2, p, a, b, got)
		mulAddIn(avx512, p, a, b, want)
		mulAddIn(avx2, p, f32(a), f32(b), got32)
		mulAddIn(avx512, p, f32(a), f32(b), want32)
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
