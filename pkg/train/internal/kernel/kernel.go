// Package kernel holds the matrix kernels of the training loop. Every kernel
// sums in a fixed order, so a result depends only on its inputs, never on
// timing or on how many trials run beside it; and every implementation (Go
// assembly for AVX2 or AVX-512 on amd64 and for NEON on arm64, portable Go)
// computes the same fused multiply-adds in the same order, so they all give
// the same bits.
package kernel

import "math"

//go:generate go run ./gen -o muladd_amd64.s

// Set is one implementation of the kernels. The zero Set is the portable
// one, which runs everywhere.
type Set struct{ id setID }

type setID uint8

const (
	generic setID = iota
	avx2
	avx512
	neon
)

// names are the kernel sets' names, by setID. A name is also the --kernel
// flag's word and what a stored trial records.
var names = [...]string{generic: "generic", avx2: "avx2", avx512: "avx512", neon: "neon"}

// Name is the set's name: "generic", "avx2", "avx512" or "neon".
func (s Set) Name() string { return names[s.id] }

// Names lists every kernel set's name, runnable here or not.
func Names() []string { return append([]string(nil), names[:]...) }

// Available lists the sets this CPU can run, fastest first (generic last).
func Available() []Set { return available() }

// Default is the fastest set this CPU can run.
func Default() Set { return available()[0] }

// Lookup finds the set called name. known is false for a name no build has;
// runs is false for a set this CPU (or this build) cannot run.
func Lookup(name string) (s Set, known, runs bool) {
	for id, n := range names {
		if n != name {
			continue
		}
		for _, a := range available() {
			if a.id == setID(id) {
				return a, true, true
			}
		}
		return Set{}, true, false
	}
	return Set{}, false, false
}

// Panel is the width of the column panels the training loop stores W1 in:
// the widest column block s has for T (56 float32 or 24 float64 with
// AVX-512), 56 with AVX2 or NEON (their kernels split a panel into column
// blocks themselves), else 8. Widths differ between sets; results do not.
func Panel[T Float](s Set) int {
	var zero T
	if _, ok := any(zero).(float32); ok {
		return panel32(s)
	}
	return panel64(s)
}

// Float is the element type of the training arithmetic.
type Float interface{ float32 | float64 }

// MulAdd computes C += A·B, where C is rows x cols with row stride ldc, B is
// k x cols with row stride ldb, and A's element (r, p) is a[r*rsA+p*csA]. The
// strides let one kernel serve both X·W (A = X) and Xᵀ·G (A = X read down its
// columns) without transposing the data.
//
// Each element of C is computed as the vector kernels do: acc = 0, then
// acc = fma(a[r,p], b[p,j], acc) for p = 0..k-1 (one rounding per term, in
// T), then c += acc.
func MulAdd[T Float](s Set, rows, cols, k int, a []T, rsA, csA int, b []T, ldb int, c []T, ldc int) {
	if rows == 0 || cols == 0 || k == 0 {
		return
	}
	// The assembly kernels rely on these bounds.
	_ = a[(rows-1)*rsA+(k-1)*csA]
	_ = b[(k-1)*ldb+cols-1]
	_ = c[(rows-1)*ldc+cols-1]
	done := mulAddFast(s, rows, cols, k, a, rsA, csA, b, ldb, c, ldc)
	mulAddGo(0, rows, done, cols, k, a, rsA, csA, b, ldb, c, ldc)
}

// MulAddWidened computes C += A·B as MulAdd does, for a float32 A (rows
// lda apart, columns adjacent) widened to float64: the bits of Widen of A
// into buf followed by MulAdd on buf, which is what it does where it must
// (buf holds at least (rows-1)·lda+k). The AVX2 and NEON sets instead
// widen A a piece at a time inside a product blocked over k (a large B,
// X·W1), so A is read once, as the kernels need it: widening a whole
// evaluation block first wrote 5 MB to memory and read it back.
func MulAddWidened(s Set, rows, cols, k int, a []float32, lda int, b []float64, ldb int, c []float64, ldc int, buf []float64) {
	if rows == 0 || cols == 0 || k == 0 {
		return
	}
	_ = a[(rows-1)*lda+k-1]
	_ = b[(k-1)*ldb+cols-1]
	_ = c[(rows-1)*ldc+cols-1]
	_ = buf[(rows-1)*lda+k-1] // on every set, even those that do not need it
	done := mulAddWidenedFast(s, rows, cols, k, a, lda, b, ldb, c, ldc)
	if done == cols {
		return
	}
	n := (rows-1)*lda + k
	Widen(s, buf[:n], a[:n])
	MulAdd(s, rows, cols-done, k, buf, lda, 1, b[done:], ldb, c[done:], ldc)
}

// mulAddGo is the portable MulAdd over rows [r0, r1) and columns [j0, j1).
func mulAddGo[T Float](r0, r1, j0, j1, k int, a []T, rsA, csA int, b []T, ldb int, c []T, ldc int) {
	if r0 >= r1 || j0 >= j1 {
		return
	}
	switch a := any(a).(type) {
	case []float32:
		mulAddGo32(r0, r1, j0, j1, k, a, rsA, csA, any(b).([]float32), ldb, any(c).([]float32), ldc)
	case []float64:
		mulAddGo64(r0, r1, j0, j1, k, a, rsA, csA, any(b).([]float64), ldb, any(c).([]float64), ldc)
	}
}

// The portable loops exist once per element type, so that each calls its
// fma directly (math.FMA is a single instruction where the CPU has one);
// mulAddGo32 is mulAddGo64 with fma32.

func mulAddGo64(r0, r1, j0, j1, k int, a []float64, rsA, csA int, b []float64, ldb int, c []float64, ldc int) {
	r := r0
	for ; r+2 <= r1; r += 2 {
		c0 := c[r*ldc : r*ldc+j1]
		c1 := c[(r+1)*ldc : (r+1)*ldc+j1]
		j := j0
		for ; j+4 <= j1; j += 4 {
			mulAdd2x4Go64(k, a[r*rsA:], rsA, csA, b[j:], ldb, c0[j:j+4], c1[j:j+4])
		}
		for ; j < j1; j++ {
			var s0, s1 float64
			for p := 0; p < k; p++ {
				bv := b[p*ldb+j]
				s0 = math.FMA(a[r*rsA+p*csA], bv, s0)
				s1 = math.FMA(a[(r+1)*rsA+p*csA], bv, s1)
			}
			c0[j] += s0
			c1[j] += s1
		}
	}
	for ; r < r1; r++ {
		cr := c[r*ldc : r*ldc+j1]
		for j := j0; j < j1; j++ {
			var s float64
			for p := 0; p < k; p++ {
				s = math.FMA(a[r*rsA+p*csA], b[p*ldb+j], s)
			}
			cr[j] += s
		}
	}
}

// mulAdd2x4Go64 keeps a 2x4 block of C in registers for the whole k loop:
// eight accumulators and six operands fit the sixteen float registers of
// amd64.
func mulAdd2x4Go64(k int, a []float64, rsA, csA int, b []float64, ldb int, c0, c1 []float64) {
	var s00, s01, s02, s03, s10, s11, s12, s13 float64
	ia0, ia1, ib := 0, rsA, 0
	for range k {
		a0, a1 := a[ia0], a[ia1]
		bb := b[ib : ib+4 : ib+4]
		b0, b1, b2, b3 := bb[0], bb[1], bb[2], bb[3]
		s00 = math.FMA(a0, b0, s00)
		s01 = math.FMA(a0, b1, s01)
		s02 = math.FMA(a0, b2, s02)
		s03 = math.FMA(a0, b3, s03)
		s10 = math.FMA(a1, b0, s10)
		s11 = math.FMA(a1, b1, s11)
		s12 = math.FMA(a1, b2, s12)
		s13 = math.FMA(a1, b3, s13)
		ia0 += csA
		ia1 += csA
		ib += ldb
	}
	c0[0] += s00
	c0[1] += s01
	c0[2] += s02
	c0[3] += s03
	c1[0] += s10
	c1[1] += s11
	c1[2] += s12
	c1[3] += s13
}

func mulAddGo32(r0, r1, j0, j1, k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int) {
	r := r0
	for ; r+2 <= r1; r += 2 {
		c0 := c[r*ldc : r*ldc+j1]
		c1 := c[(r+1)*ldc : (r+1)*ldc+j1]
		j := j0
		for ; j+4 <= j1; j += 4 {
			mulAdd2x4Go32(k, a[r*rsA:], rsA, csA, b[j:], ldb, c0[j:j+4], c1[j:j+4])
		}
		for ; j < j1; j++ {
			var s0, s1 float32
			for p := 0; p < k; p++ {
				bv := b[p*ldb+j]
				s0 = fma32(a[r*rsA+p*csA], bv, s0)
				s1 = fma32(a[(r+1)*rsA+p*csA], bv, s1)
			}
			c0[j] += s0
			c1[j] += s1
		}
	}
	for ; r < r1; r++ {
		cr := c[r*ldc : r*ldc+j1]
		for j := j0; j < j1; j++ {
			var s float32
			for p := 0; p < k; p++ {
				s = fma32(a[r*rsA+p*csA], b[p*ldb+j], s)
			}
			cr[j] += s
		}
	}
}

// mulAdd2x4Go32 is mulAdd2x4Go64 for float32, each term fma32 written out:
// the accumulators hold float32 values in float64, and round32 is inlined.
func mulAdd2x4Go32(k int, a []float32, rsA, csA int, b []float32, ldb int, c0, c1 []float32) {
	var s00, s01, s02, s03, s10, s11, s12, s13 float64
	ia0, ia1, ib := 0, rsA, 0
	for range k {
		a0, a1 := float64(a[ia0]), float64(a[ia1])
		bb := b[ib : ib+4 : ib+4]
		b0, b1, b2, b3 := float64(bb[0]), float64(bb[1]), float64(bb[2]), float64(bb[3])
		// Each term: t = fma(a, b, s) as t, ok := round32(a·b + s),
		// with fmaSlow32 for the rare sums round32 leaves.
		t, ok := round32(float64(a0*b0) + s00)
		if !ok {
			t = fmaSlow32(float32(a0), float32(b0), s00)
		}
		s00 = t
		if t, ok = round32(float64(a0*b1) + s01); !ok {
			t = fmaSlow32(float32(a0), float32(b1), s01)
		}
		s01 = t
		if t, ok = round32(float64(a0*b2) + s02); !ok {
			t = fmaSlow32(float32(a0), float32(b2), s02)
		}
		s02 = t
		if t, ok = round32(float64(a0*b3) + s03); !ok {
			t = fmaSlow32(float32(a0), float32(b3), s03)
		}
		s03 = t
		if t, ok = round32(float64(a1*b0) + s10); !ok {
			t = fmaSlow32(float32(a1), float32(b0), s10)
		}
		s10 = t
		if t, ok = round32(float64(a1*b1) + s11); !ok {
			t = fmaSlow32(float32(a1), float32(b1), s11)
		}
		s11 = t
		if t, ok = round32(float64(a1*b2) + s12); !ok {
			t = fmaSlow32(float32(a1), float32(b2), s12)
		}
		s12 = t
		if t, ok = round32(float64(a1*b3) + s13); !ok {
			t = fmaSlow32(float32(a1), float32(b3), s13)
		}
		s13 = t
		ia0 += csA
		ia1 += csA
		ib += ldb
	}
	// The sums hold float32 values: converting them is exact.
	c0[0] += float32(s00)
	c0[1] += float32(s01)
	c0[2] += float32(s02)
	c0[3] += float32(s03)
	c1[0] += float32(s10)
	c1[1] += float32(s11)
	c1[2] += float32(s12)
	c1[3] += float32(s13)
}

// fma32 is x*y + z rounded once to float32, as VFMADD231PS computes it.
func fma32(x, y, z float32) float32 {
	zz := float64(z)
	r, ok := round32(float64(float64(x)*float64(y)) + zz)
	if !ok {
		r = fmaSlow32(x, y, zz)
	}
	return float32(r)
}

// round32 rounds s = x*y + z, computed in float64 from float32 operands, to
// float32 (returned in a float64), or reports that it cannot.
//
// The product of two float32 is exact in float64 (48 bits), so only the sum
// s rounds, and rounding s to float32 gives the correctly rounded fma unless
// s fell exactly on a midpoint between two float32 (its low 29 mantissa
// bits 1 then 28 zeros) without being exact: a double rounding. That case,
// results in float32's subnormal range (where the midpoints lie
// elsewhere), infinities and NaN are left to fmaSlow32. round32 is small
// enough to inline, so that the portable loops pay no call per term.
func round32(s float64) (float64, bool) {
	b := math.Float64bits(s)
	if b&(1<<29-1) == 1<<28 || (b>>52&0x7ff)-0x381 >= 0x7ff-0x381 && s != 0 {
		return 0, false
	}
	return float64(float32(s)), true
}

// fmaSlow32 rounds x*y + z to float32 by rounding the float64 sum to odd
// first, which then rounds to float32 correctly since float64 has more than
// 2·24+2 bits (Boldo and Melquiond).
func fmaSlow32(x, y float32, z float64) float64 {
	p := float64(float64(x) * float64(y)) // exact
	s := p + z
	// TwoSum: e is the exact error of s, s + e = p + z (NaN when s is
	// not finite, where there is nothing to correct).
	bb := s - p
	e := (p - (s - bb)) + (z - bb)
	if bits := math.Float64bits(s); e != 0 && bits&1 == 0 && s-s == 0 {
		// The exact sum lies between s (even) and its neighbour on e's
		// side, which is odd. s is not 0: a sum that rounds to 0 is exact.
		if (e > 0) == (s > 0) {
			bits++
		} else {
			bits--
		}
		s = math.Float64frombits(bits)
	}
	return float64(float32(s))
}

// Widen converts src to float64 into dst (len(dst) >= len(src)). The float64
// path reads the shared float32 data set through it for every batch and
// every evaluated block, so it runs as vector code where it can; the
// conversion is exact, so every set gives the same result.
func Widen(s Set, dst []float64, src []float32) {
	done := widenFast(s, dst, src)
	for i := done; i < len(src); i++ {
		dst[i] = float64(src[i])
	}
}

// Update takes a gradient step in place: w -= eta (g + t w), t being twice
// the L2 penalty (0 for biases), as two fused multiply-adds per element:
// u = fma(t, w, g), w = fma(-u, eta, w).
func Update[T Float](s Set, w, g []T, eta, t T) {
	done := updateFast(s, w, g, eta, t)
	switch w := any(w).(type) {
	case []float32:
		updateRange32(w[done:], any(g).([]float32)[done:], float32(eta), float32(t))
	case []float64:
		updateRange64(w[done:], any(g).([]float64)[done:], float64(eta), float64(t))
	}
}

func updateRange64(w, g []float64, eta, t float64) {
	g = g[:len(w)]
	for i, wi := range w {
		u := math.FMA(t, wi, g[i])
		w[i] = math.FMA(-u, eta, wi)
	}
}

func updateRange32(w, g []float32, eta, t float32) {
	g = g[:len(w)]
	for i, wi := range w {
		u := fma32(t, wi, g[i])
		w[i] = fma32(-u, eta, wi)
	}
}
