//go:build amd64 || arm64

package kernel

import "unsafe"

// The block kernels of the AVX2 and NEON sets: a MulAdd runs as column
// blocks as wide as the vector registers allow, each block's rows in
// assembly to the last one (the most rows a kernel takes, then fewer), so
// only columns narrower than a vector are left to Go.

// rowKernel computes rows rows of a column block.
type rowKernel[T Float] struct {
	rows int
	f    func(k int, a *T, rsA, csA int, b *T, ldb int, c *T, ldc int)
}

// colBlock is one column width and its kernels, most rows first.
type colBlock[T Float] struct {
	width int
	rows  []rowKernel[T]
}

// smallB is the most bytes of B for which MulAdd goes through the rows in
// bands, every column block of a band before the next band: a band's rows
// of A then stay in L1 for all the column blocks, and B, read once per
// band, stays in L2. For a larger B (X·W1, 3072 x 56) each column block
// runs over all rows instead, so that its part of B stays in L2. It is
// Xᵀ·G1's case: 100 x 56 float64, where bands made the product 1.45x as
// fast on an AVX-512 Xeon held to AVX2.
const smallB = 256 << 10

// band is the rows of A a band holds: a multiple of every block's row
// kernels (4, 6, 8).
const band = 24

func mulAddBlocks[T Float](blocks []colBlock[T], rows, cols, k int, a []T, rsA, csA int, b []T, ldb int, c []T, ldc int) (doneCols int) {
	var zero T
	step := rows
	if k*ldb*int(unsafe.Sizeof(zero)) <= smallB {
		step = band
	}
	// The widest blocks go first, except that a rest as narrow as the
	// last block is taken with the wide one before it as two middle ones
	// (56 float32 columns as 24+16+16, not 24+24+8): the narrow block's
	// one vector needs a broadcast per FMA, and the swap gave 3-7% more
	// GFLOP per CPU-second on X·W1 and Xᵀ·G1.
	wide := cols / blocks[0].width
	if n := len(blocks); n >= 3 && wide > 0 && cols%blocks[0].width == blocks[n-1].width &&
		2*blocks[1].width == blocks[0].width+blocks[n-1].width {
		wide--
	}
	for r0 := 0; r0 < rows; r0 += step {
		r1 := min(r0+step, rows)
		doneCols = 0
		for i, bk := range blocks {
			for ; doneCols+bk.width <= cols && (i > 0 || doneCols < wide*bk.width); doneCols += bk.width {
				j, r := doneCols, r0
				for _, rk := range bk.rows {
					for ; r+rk.rows <= r1; r += rk.rows {
						rk.f(k, &a[r*rsA], rsA, csA, &b[j], ldb, &c[r*ldc+j], ldc)
					}
				}
			}
		}
	}
	return doneCols
}
