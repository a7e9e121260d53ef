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
	// f adds the block of A·B to C; chain continues the FMA chains C
	// holds (each element is loaded, has the k terms fused into it in
	// order and is stored), for a product blocked over k.
	f, chain func(k int, a *T, rsA, csA int, b *T, ldb int, c *T, ldc int)
}

// colBlock is one column width and its kernels, most rows first.
type colBlock[T Float] struct {
	width int
	rows  []rowKernel[T]
}

// run computes rows rows of the block, with the chain kernels if chain is
// set.
func (bk *colBlock[T]) run(chain bool, rows, k int, a []T, rsA, csA int, b []T, ldb int, c []T, ldc int) {
	r := 0
	for _, rk := range bk.rows {
		f := rk.f
		if chain {
			f = rk.chain
		}
		for ; r+rk.rows <= rows; r += rk.rows {
			f(k, &a[r*rsA], rsA, csA, &b[0], ldb, &c[r*ldc], ldc)
		}
	}
}

// smallB is the most bytes of B for which MulAdd reads B whole for each
// band of rows, every column block of a band before the next band: the
// band's rows of A then stay in L1 for all the column blocks, and B in L2.
// It is Xᵀ·G1's case: 100 x 56 float64, where bands made the product 1.45x
// as fast on an AVX-512 Xeon held to AVX2. A larger B (X·W1, 3072 x 56) is
// also blocked over k, so that a band's A and the B rows it meets stay in
// cache for every column block and each element of A comes from memory
// once (before, each column block ran over all rows and read X from memory
// again).
const smallB = 256 << 10

// band is the rows of A a band holds: a multiple of every block's row
// kernels (4, 6, 8).
const band = 24

// kBytes is the bytes of each row of A a product blocked over k takes at
// a time: the band's A (24 KiB) stays in L1, and the B rows it meets
// (kBytes/size x 56, 56 KiB) in L2 even on a Zen 3 (512 KiB).
const kBytes = 1 << 10

// maxSums is the widest product a k-blocked band keeps its sums for in a
// fixed array (56 float32 columns, 52 float64, a panel); a wider one
// allocates them to fit. The array is allocated too (once a call, on the
// heap): the kernels are called through func values, so the compiler
// cannot see that the pointers into it do not escape.
const maxSums = 64

func mulAddBlocks[T Float](blocks []colBlock[T], rows, cols, k int, a []T, rsA, csA int, b []T, ldb int, c []T, ldc int) (doneCols int) {
	var planBuf [16]uint8
	plan, width := planBlocks(blocks, cols, planBuf[:0])
	if width == 0 {
		return 0 // narrower than every block: all Go's
	}
	var zero T
	size := int(unsafe.Sizeof(zero))
	if k*ldb*size <= smallB {
		for r0 := 0; r0 < rows; r0 += band {
			n, j := min(band, rows-r0), 0
			for _, i := range plan {
				blocks[i].run(false, n, k, a[r0*rsA:], rsA, csA, b[j:], ldb, c[r0*ldc+j:], ldc)
				j += blocks[i].width
			}
		}
		return width
	}
	var sumsBuf [band * maxSums]T
	sums := sumsBuf[:]
	if width > maxSums {
		sums = make([]T, band*width)
	}
	return kBlocked(blocks, plan, width, rows, k, sums, func(r0, _, p0, _ int) ([]T, int, int) {
		return a[r0*rsA+p0*csA:], rsA, csA
	}, b, ldb, c, ldc)
}

// kBlocked runs the planned column blocks (width columns) band by band and
// each band in pieces of k: piece(r0, n, p0, kk) gives the n x kk piece of
// A from row r0 and k p0 and its strides. Each element of C is one chain
// in k order, its sum carried from one piece to the next in sums (which
// starts at +0, as a kernel's accumulators do) and added to C at the end,
// as the kernels' c += acc.
func kBlocked[T Float](blocks []colBlock[T], plan []uint8, width, rows, k int, sums []T,
	piece func(r0, n, p0, kk int) ([]T, int, int), b []T, ldb int, c []T, ldc int) int {
	var zero T
	kc := kBytes / int(unsafe.Sizeof(zero))
	for r0 := 0; r0 < rows; r0 += band {
		n := min(band, rows-r0)
		s := sums[:n*width]
		clear(s)
		for p0 := 0; p0 < k; p0 += kc {
			kk, j := min(kc, k-p0), 0
			a, rsA, csA := piece(r0, n, p0, kk)
			for _, i := range plan {
				blocks[i].run(true, n, kk, a, rsA, csA, b[p0*ldb+j:], ldb, s[j:], width)
				j += blocks[i].width
			}
		}
		for r := range n {
			cr := c[(r0+r)*ldc : (r0+r)*ldc+width]
			for j, v := range s[r*width : (r+1)*width] {
				cr[j] += v
			}
		}
	}
	return width
}

// mulAddBlocksWidened is mulAddBlocks for MulAddWidened, where only a
// product blocked over k (a large B) runs here, and 0 columns are done
// otherwise: each piece of A is widened into the stack just before the
// kernels read it, so A is read from memory once, and in the order of the
// product, for the prefetchers.
func mulAddBlocksWidened(set Set, blocks []colBlock[float64], rows, cols, k int, a []float32, lda int, b []float64, ldb int, c []float64, ldc int) int {
	var planBuf [16]uint8
	plan, width := planBlocks(blocks, cols, planBuf[:0])
	if width == 0 || k*ldb*8 <= smallB || width > maxSums {
		return 0
	}
	const kc = kBytes / 8
	var sums [band * maxSums]float64
	var buf [band * kc]float64
	return kBlocked(blocks, plan, width, rows, k, sums[:], func(r0, n, p0, kk int) ([]float64, int, int) {
		for r := range n {
			Widen(set, buf[r*kc:r*kc+kk], a[(r0+r)*lda+p0:][:kk])
		}
		return buf[:], kc, 1
	}, b, ldb, c, ldc)
}

// planBlocks appends to plan the column blocks (indices into blocks) that
// cover the first width columns of cols, in order.
func planBlocks[T Float](blocks []colBlock[T], cols int, plan []uint8) (_ []uint8, width int) {
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
	for i, bk := range blocks {
		for ; width+bk.width <= cols && (i > 0 || width < wide*bk.width); width += bk.width {
			plan = append(plan, uint8(i))
		}
	}
	return plan, width
}
