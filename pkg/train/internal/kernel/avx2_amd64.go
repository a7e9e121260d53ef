package kernel

// The AVX2 set's block kernels (blocks.go), for sixteen ymm registers.

//go:noescape
func mulAdd6x16F32(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x16F32(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd2x16F32(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd1x16F32(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x24F32(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd2x24F32(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd1x24F32(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd2x8F32(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd1x8F32(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd6x8F64(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd2x8F64(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd1x8F64(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd4x12F64(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd2x12F64(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd1x12F64(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd8x4F64(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd2x4F64(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd1x4F64(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

// The chain kernels (gen: write with chain) of all the above and of the
// 8-wide ones the AVX2 blocks share with the AVX-512 set.

//go:noescape
func mulAdd8x8F32C(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x8F32C(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x8F64C(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd4x4F64C(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd6x16F32C(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x16F32C(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd2x16F32C(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd1x16F32C(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x24F32C(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd2x24F32C(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd1x24F32C(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd2x8F32C(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd1x8F32C(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd6x8F64C(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd2x8F64C(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd1x8F64C(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd4x12F64C(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd2x12F64C(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd1x12F64C(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd8x4F64C(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd2x4F64C(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd1x4F64C(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

var (
	// 56 float32 columns (the 50 hidden units padded) are 24 + 16 + 16.
	avx2Blocks32 = []colBlock[float32]{
		{24, []rowKernel[float32]{{4, mulAdd4x24F32, mulAdd4x24F32C}, {2, mulAdd2x24F32, mulAdd2x24F32C}, {1, mulAdd1x24F32, mulAdd1x24F32C}}},
		{16, []rowKernel[float32]{{6, mulAdd6x16F32, mulAdd6x16F32C}, {4, mulAdd4x16F32, mulAdd4x16F32C}, {2, mulAdd2x16F32, mulAdd2x16F32C}, {1, mulAdd1x16F32, mulAdd1x16F32C}}},
		{8, []rowKernel[float32]{{8, mulAdd8x8F32, mulAdd8x8F32C}, {4, mulAdd4x8F32, mulAdd4x8F32C}, {2, mulAdd2x8F32, mulAdd2x8F32C}, {1, mulAdd1x8F32, mulAdd1x8F32C}}},
	}
	// 52 float64 columns (50 padded to 4) are 12·3 + 8 + 8.
	avx2Blocks64 = []colBlock[float64]{
		{12, []rowKernel[float64]{{4, mulAdd4x12F64, mulAdd4x12F64C}, {2, mulAdd2x12F64, mulAdd2x12F64C}, {1, mulAdd1x12F64, mulAdd1x12F64C}}},
		{8, []rowKernel[float64]{{6, mulAdd6x8F64, mulAdd6x8F64C}, {4, mulAdd4x8F64, mulAdd4x8F64C}, {2, mulAdd2x8F64, mulAdd2x8F64C}, {1, mulAdd1x8F64, mulAdd1x8F64C}}},
		{4, []rowKernel[float64]{{8, mulAdd8x4F64, mulAdd8x4F64C}, {4, mulAdd4x4F64, mulAdd4x4F64C}, {2, mulAdd2x4F64, mulAdd2x4F64C}, {1, mulAdd1x4F64, mulAdd1x4F64C}}},
	}
)

// avx2Panel32 and avx2Panel64 are the AVX2 set's W1 panel widths: the
// whole padded hidden layer of the notebook's 50 units.
const avx2Panel32, avx2Panel64 = 56, 56

// mulAddAVX2 is mulAddFast for the AVX2 set: the block kernels of
// mulAddBlocks, the widest first.
func mulAddAVX2[T Float](rows, cols, k int, a []T, rsA, csA int, b []T, ldb int, c []T, ldc int) (doneCols int) {
	switch a := any(a).(type) {
	case []float32:
		return mulAddBlocks(avx2Blocks32, rows, cols, k, a, rsA, csA, any(b).([]float32), ldb, any(c).([]float32), ldc)
	case []float64:
		return mulAddBlocks(avx2Blocks64, rows, cols, k, a, rsA, csA, any(b).([]float64), ldb, any(c).([]float64), ldc)
	}
	return 0
}

// mulAddWidenedFast is MulAddWidened's part for the AVX2 set.
func mulAddWidenedFast(s Set, rows, cols, k int, a []float32, lda int, b []float64, ldb int, c []float64, ldc int) int {
	if s.id != avx2 {
		return 0
	}
	return mulAddBlocksWidened(s, avx2Blocks64, rows, cols, k, a, lda, b, ldb, c, ldc)
}
