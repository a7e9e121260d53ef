package kernel

import "golang.org/x/sys/cpu"

//go:noescape
func mulAdd4x16F32(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x8F32(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func mulAdd4x8F64(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func mulAdd4x4F64(k int, a *float64, rsA, csA int, b *float64, ldb int, c *float64, ldc int)

// useFMA is decided once at start-up; tests switch it to check both paths.
var useFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

func name() string {
	if useFMA {
		return "avx2-fma"
	}
	return "go"
}

// kBlock bounds the stretch of k one micro-kernel call sums over, so that
// the slice of B it walks (kBlock x cols) stays in the core's L2 cache while
// every row block of A reuses it. Partial sums are added to C in k order,
// so the result is still a fixed function of the inputs.
const kBlock = 256

// mulAddFast runs the assembly micro-kernels over the largest part of C they
// cover and reports how many rows and columns that is; MulAdd finishes the
// edges in Go.
func mulAddFast[T Float](rows, cols, k int, a []T, rsA, csA int, b []T, ldb int, c []T, ldc int) (doneRows, doneCols int) {
	if !useFMA {
		return 0, 0
	}
	doneRows = rows / 4 * 4
	if doneRows == 0 {
		return 0, 0
	}
	switch a := any(a).(type) {
	case []float32:
		b, c := any(b).([]float32), any(c).([]float32)
		for p0 := 0; p0 < k; p0 += kBlock {
			kc := min(kBlock, k-p0)
			for r := 0; r < doneRows; r += 4 {
				ar := r*rsA + p0*csA
				j := 0
				for ; j+16 <= cols; j += 16 {
					mulAdd4x16F32(kc, &a[ar], rsA, csA, &b[p0*ldb+j], ldb, &c[r*ldc+j], ldc)
				}
				for ; j+8 <= cols; j += 8 {
					mulAdd4x8F32(kc, &a[ar], rsA, csA, &b[p0*ldb+j], ldb, &c[r*ldc+j], ldc)
				}
				doneCols = j
			}
		}
	case []float64:
		b, c := any(b).([]float64), any(c).([]float64)
		for p0 := 0; p0 < k; p0 += kBlock {
			kc := min(kBlock, k-p0)
			for r := 0; r < doneRows; r += 4 {
				ar := r*rsA + p0*csA
				j := 0
				for ; j+8 <= cols; j += 8 {
					mulAdd4x8F64(kc, &a[ar], rsA, csA, &b[p0*ldb+j], ldb, &c[r*ldc+j], ldc)
				}
				for ; j+4 <= cols; j += 4 {
					mulAdd4x4F64(kc, &a[ar], rsA, csA, &b[p0*ldb+j], ldb, &c[r*ldc+j], ldc)
				}
				doneCols = j
			}
		}
	}
	return doneRows, doneCols
}
