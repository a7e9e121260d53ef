package kernel

//go:generate go run ./gen -arch arm64 -o muladd_arm64.s

// The NEON set: block kernels (blocks.go) for the 32 vector registers of
// arm64, each element one FMLA chain in k order like every other path.
// Advanced SIMD is part of every arm64 CPU, so it needs no detection.

//go:noescape
func mulAdd6x16F32N(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x16F32N(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd2x16F32N(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd1x16F32N(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd8x8F32N(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x8F32N(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd2x8F32N(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd1x8F32N(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd8x4F32N(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x4F32N(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd2x4F32N(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd1x4F32N(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd6x8F64N(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd4x8F64N(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd2x8F64N(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd1x8F64N(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd8x4F64N(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd4x4F64N(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd2x4F64N(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd1x4F64N(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd8x2F64N(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd4x2F64N(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd2x2F64N(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd1x2F64N(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

// The chain kernels (gen: write with chain) of all the above.

//go:noescape
func mulAdd6x16F32NC(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x16F32NC(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd2x16F32NC(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd1x16F32NC(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd8x8F32NC(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x8F32NC(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd2x8F32NC(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd1x8F32NC(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd8x4F32NC(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x4F32NC(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd2x4F32NC(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd1x4F32NC(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd6x8F64NC(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd4x8F64NC(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd2x8F64NC(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd1x8F64NC(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd8x4F64NC(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd4x4F64NC(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd2x4F64NC(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd1x4F64NC(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd8x2F64NC(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd4x2F64NC(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd2x2F64NC(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd1x2F64NC(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

var (
	// 56 float32 columns (the 50 hidden units padded) are 16·3 + 8.
	neonBlocks32 = []colBlock[float32]{
		{16, []rowKernel[float32]{{6, mulAdd6x16F32N, mulAdd6x16F32NC}, {4, mulAdd4x16F32N, mulAdd4x16F32NC}, {2, mulAdd2x16F32N, mulAdd2x16F32NC}, {1, mulAdd1x16F32N, mulAdd1x16F32NC}}},
		{8, []rowKernel[float32]{{8, mulAdd8x8F32N, mulAdd8x8F32NC}, {4, mulAdd4x8F32N, mulAdd4x8F32NC}, {2, mulAdd2x8F32N, mulAdd2x8F32NC}, {1, mulAdd1x8F32N, mulAdd1x8F32NC}}},
		{4, []rowKernel[float32]{{8, mulAdd8x4F32N, mulAdd8x4F32NC}, {4, mulAdd4x4F32N, mulAdd4x4F32NC}, {2, mulAdd2x4F32N, mulAdd2x4F32NC}, {1, mulAdd1x4F32N, mulAdd1x4F32NC}}},
	}
	// 52 float64 columns (50 padded to 4) are 8·6 + 4.
	neonBlocks64 = []colBlock[float64]{
		{8, []rowKernel[float64]{{6, mulAdd6x8F64N, mulAdd6x8F64NC}, {4, mulAdd4x8F64N, mulAdd4x8F64NC}, {2, mulAdd2x8F64N, mulAdd2x8F64NC}, {1, mulAdd1x8F64N, mulAdd1x8F64NC}}},
		{4, []rowKernel[float64]{{8, mulAdd8x4F64N, mulAdd8x4F64NC}, {4, mulAdd4x4F64N, mulAdd4x4F64NC}, {2, mulAdd2x4F64N, mulAdd2x4F64NC}, {1, mulAdd1x4F64N, mulAdd1x4F64NC}}},
		{2, []rowKernel[float64]{{8, mulAdd8x2F64N, mulAdd8x2F64NC}, {4, mulAdd4x2F64N, mulAdd4x2F64NC}, {2, mulAdd2x2F64N, mulAdd2x2F64NC}, {1, mulAdd1x2F64N, mulAdd1x2F64NC}}},
	}
)

// available is the NEON set, then the portable one.
func available() []Set { return []Set{{neon}, {generic}} }

// The NEON set splits a whole 56-unit panel into blocks itself.
func panel32(s Set) int {
	if s.id == neon {
		return 56
	}
	return 8
}

func panel64(s Set) int {
	if s.id == neon {
		return 56
	}
	return 8
}

func mulAddFast[T Float](s Set, rows, cols, k int, a []T, rsA, csA int, b []T, ldb int, c []T, ldc int) int {
	if s.id != neon {
		return 0
	}
	switch a := any(a).(type) {
	case []float32:
		return mulAddBlocks(neonBlocks32, rows, cols, k, a, rsA, csA, any(b).([]float32), ldb, any(c).([]float32), ldc)
	case []float64:
		return mulAddBlocks(neonBlocks64, rows, cols, k, a, rsA, csA, any(b).([]float64), ldb, any(c).([]float64), ldc)
	}
	return 0
}

// mulAddWidenedFast is MulAddWidened's part for the NEON set.
func mulAddWidenedFast(s Set, rows, cols, k int, a []float32, lda int, b []float64, ldb int, c []float64, ldc int) int {
	if s.id != neon {
		return 0
	}
	return mulAddBlocksWidened(s, neonBlocks64, rows, cols, k, a, lda, b, ldb, c, ldc)
}

// The NEON set has no vector widening or update yet: Go does them, with
// the same results.
func widenFast(s Set, dst []float64, src []float32) int { return 0 }

func updateFast[T Float](s Set, w, g []T, eta, t T) int { return 0 }
