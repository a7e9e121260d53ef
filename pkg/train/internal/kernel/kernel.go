// Package kernel holds the matrix kernels of the training loop. Every kernel
// sums in a fixed order, so a result depends only on its inputs, never on
// timing or on how many trials run beside it.
package kernel

//go:generate go run ./gen -o muladd_amd64.s

// Panel is the width of the column panels the training loop stores W1 in:
// 56 float32 or 24 float64 with AVX-512, 56 with AVX2 (its kernels split a
// panel into column blocks themselves), else 8. Widths differ between
// paths; results do not.
func Panel[T Float]() int {
	var zero T
	if _, ok := any(zero).(float32); ok {
		return panel32()
	}
	return panel64()
}

// Float is the element type of the training arithmetic.
type Float interface{ float32 | float64 }

// MulAdd computes C += A·B, where C is rows x cols with row stride ldc, B is
// k x cols with row stride ldb, and A's element (r, p) is a[r*rsA+p*csA]. The
// strides let one kernel serve both X·W (A = X) and Xᵀ·G (A = X read down its
// columns) without transposing the data.
func MulAdd[T Float](rows, cols, k int, a []T, rsA, csA int, b []T, ldb int, c []T, ldc int) {
	if rows == 0 || cols == 0 || k == 0 {
		return
	}
	// The assembly kernels rely on these bounds.
	_ = a[(rows-1)*rsA+(k-1)*csA]
	_ = b[(k-1)*ldb+cols-1]
	_ = c[(rows-1)*ldc+cols-1]
	done := mulAddFast(rows, cols, k, a, rsA, csA, b, ldb, c, ldc)
	mulAddGo(0, rows, done, cols, k, a, rsA, csA, b, ldb, c, ldc)
}

// mulAddGo is the portable MulAdd over rows [r0, r1) and columns [j0, j1).
func mulAddGo[T Float](r0, r1, j0, j1, k int, a []T, rsA, csA int, b []T, ldb int, c []T, ldc int) {
	if r0 >= r1 || j0 >= j1 {
		return
	}
	r := r0
	for ; r+2 <= r1; r += 2 {
		c0 := c[r*ldc : r*ldc+j1]
		c1 := c[(r+1)*ldc : (r+1)*ldc+j1]
		j := j0
		for ; j+4 <= j1; j += 4 {
			mulAdd2x4(k, a[r*rsA:], rsA, csA, b[j:], ldb, c0[j:j+4], c1[j:j+4])
		}
		for ; j < j1; j++ {
			var s0, s1 T
			for p := 0; p < k; p++ {
				bv := b[p*ldb+j]
				s0 += a[r*rsA+p*csA] * bv
				s1 += a[(r+1)*rsA+p*csA] * bv
			}
			c0[j] += s0
			c1[j] += s1
		}
	}
	for ; r < r1; r++ {
		cr := c[r*ldc : r*ldc+j1]
		for j := j0; j < j1; j++ {
			var s T
			for p := 0; p < k; p++ {
				s += a[r*rsA+p*csA] * b[p*ldb+j]
			}
			cr[j] += s
		}
	}
}

// mulAdd2x4 keeps a 2x4 block of C in registers for the whole k loop: eight
// accumulators and six operands fit the sixteen float registers of amd64.
func mulAdd2x4[T Float](k int, a []T, rsA, csA int, b []T, ldb int, c0, c1 []T) {
	var s00, s01, s02, s03, s10, s11, s12, s13 T
	ia0, ia1, ib := 0, rsA, 0
	for range k {
		a0, a1 := a[ia0], a[ia1]
		bb := b[ib : ib+4 : ib+4]
		b0, b1, b2, b3 := bb[0], bb[1], bb[2], bb[3]
		s00 += a0 * b0
		s01 += a0 * b1
		s02 += a0 * b2
		s03 += a0 * b3
		s10 += a1 * b0
		s11 += a1 * b1
		s12 += a1 * b2
		s13 += a1 * b3
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

// Name says which implementation MulAdd runs: "avx512", "avx2-fma", "neon" or "go". It is
// stored with every trial because the two round differently (fused
// multiply-add), so results are bit-identical only on one kernel path.
func Name() string { return name() }

// Widen converts src to float64 into dst (len(dst) >= len(src)). The float64
// path reads the shared float32 data set through it for every batch and
// every evaluated block, so it runs as vector code where it can.
func Widen(dst []float64, src []float32) {
	done := widenFast(dst, src)
	for i := done; i < len(src); i++ {
		dst[i] = float64(src[i])
	}
}

// Update takes a gradient step in place: w -= eta (g + t w), t being twice
// the L2 penalty (0 for biases). With FMA kernels each element is two fused
// multiply-adds; the portable path rounds after each operation.
func Update[T Float](w, g []T, eta, t T) {
	done := updateFast(w, g, eta, t)
	for i := done; i < len(w); i++ {
		w[i] -= eta * (g[i] + t*w[i])
	}
}
