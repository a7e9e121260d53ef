package kernel

import "golang.org/x/sys/cpu"

//go:noescape
func updateF32(w, grad *float32, n int, eta, t float32)

//go:noescape
func updateF64(w, grad *float64, n int, eta, t float64)

// updateFast applies Update to the largest multiple of a vector it can and
// returns how many elements that was.
func updateFast[T Float](s Set, w, g []T, eta, t T) int {
	if !s.x86() {
		return 0
	}
	switch w := any(w).(type) {
	case []float32:
		g := any(g).([]float32)
		n := len(w) / 8 * 8
		if n > 0 {
			_ = g[n-1]
			updateF32(&w[0], &g[0], n, float32(eta), float32(t))
		}
		return n
	case []float64:
		g := any(g).([]float64)
		n := len(w) / 4 * 4
		if n > 0 {
			_ = g[n-1]
			updateF64(&w[0], &g[0], n, float64(eta), float64(t))
		}
		return n
	}
	return 0
}

//go:noescape
func widenAVX2(dst *float64, src *float32, n int)

// widenFast converts the largest multiple of 8 elements it can and returns
// how many that was.
func widenFast(s Set, dst []float64, src []float32) int {
	n := len(src) / 8 * 8
	if !s.x86() || n == 0 {
		return 0
	}
	_ = dst[n-1]
	widenAVX2(&dst[0], &src[0], n)
	return n
}

//go:noescape
func mulAdd8x8F32(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x8F32(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x8F64(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd4x4F64(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd8x16F32Z(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x16F32Z(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd8x8F64Z(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd4x8F64Z(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd4x48F32Z(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x56F32Z(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd6x56F32Z(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x24F64Z(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

// available reports what this CPU runs: AVX2 with FMA for the 256-bit
// kernels, and AVX-512 F, VL and DQ besides for the 512-bit ones.
func available() []Set {
	var sets []Set
	fma := cpu.X86.HasAVX2 && cpu.X86.HasFMA
	if fma && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512DQ {
		sets = append(sets, Set{avx512})
	}
	if fma {
		sets = append(sets, Set{avx2})
	}
	return append(sets, Set{generic})
}

func panel32(s Set) int {
	switch s.id {
	case avx512:
		return 56
	case avx2:
		return avx2Panel32
	}
	return 8
}

func panel64(s Set) int {
	switch s.id {
	case avx512:
		return 24
	case avx2:
		return avx2Panel64
	}
	return 8
}

// kernelFunc is the signature every micro-kernel shares.
type kernelFunc[T Float] func(k int, a *T, rsA, csA int, b *T, ldb int, c *T, ldc int)

// blockKernels are the micro-kernels for one element type and column width:
// bigRows rows at a time (if big is set), then four.
type blockKernels[T Float] struct {
	width      int
	bigRows    int
	big, rows4 kernelFunc[T]
}

// mulAddFast computes the first columns of C, all rows, with the assembly
// micro-kernels and reports how many columns that is; MulAdd does the rest
// in Go. The AVX2 set runs its block kernels (avx2_amd64.go); the AVX-512
// set's widest column blocks go first (a whole panel), then narrower ones
// for what is left, and the rows a block's kernels leave are done in Go.
func mulAddFast[T Float](s Set, rows, cols, k int, a []T, rsA, csA int, b []T, ldb int, c []T, ldc int) (doneCols int) {
	if s.id == avx2 {
		return mulAddAVX2(rows, cols, k, a, rsA, csA, b, ldb, c, ldc)
	}
	if s.id != avx512 || rows < 4 {
		return 0
	}
	var blocks []blockKernels[T]
	switch any(a).(type) {
	case []float32:
		blocks = []blockKernels[T]{
			{56, 6, asKernel[T](mulAdd6x56F32Z), asKernel[T](mulAdd4x56F32Z)},
			{48, 0, nil, asKernel[T](mulAdd4x48F32Z)},
			{16, 8, asKernel[T](mulAdd8x16F32Z), asKernel[T](mulAdd4x16F32Z)},
			{8, 8, asKernel[T](mulAdd8x8F32), asKernel[T](mulAdd4x8F32)},
		}
	case []float64:
		blocks = []blockKernels[T]{
			{24, 0, nil, asKernel[T](mulAdd4x24F64Z)},
			{8, 8, asKernel[T](mulAdd8x8F64Z), asKernel[T](mulAdd4x8F64Z)},
			{4, 0, nil, asKernel[T](mulAdd4x4F64)},
		}
	}
	for _, bk := range blocks {
		for ; doneCols+bk.width <= cols; doneCols += bk.width {
			j, r := doneCols, 0
			if bk.big != nil {
				for ; r+bk.bigRows <= rows; r += bk.bigRows {
					bk.big(k, &a[r*rsA], rsA, csA, &b[j], ldb, &c[r*ldc+j], ldc)
				}
			}
			for ; r+4 <= rows; r += 4 {
				bk.rows4(k, &a[r*rsA], rsA, csA, &b[j], ldb, &c[r*ldc+j], ldc)
			}
			// The rows left depend on the block's kernels; finish them here.
			mulAddGo(r, rows, j, j+bk.width, k, a, rsA, csA, b, ldb, c, ldc)
		}
	}
	return doneCols
}

// asKernel views a kernel of a concrete element type as one of T; it is only
// called where T is that type.
func asKernel[T Float, K any](f K) kernelFunc[T] {
	return any(f).(func(int, *T, int, int, *T, int, *T, int))
}

// x86 reports whether s is one of the assembly sets of this file.
func (s Set) x86() bool { return s.id == avx2 || s.id == avx512 }
