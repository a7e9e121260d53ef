package kernel

import "golang.org/x/sys/cpu"

//go:noescape
func mulAdd8x8F32(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int)

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

// mulAddFast runs the assembly micro-kernels over the largest part of C they
// cover and reports how many rows and columns that is; MulAdd finishes the
// edges in Go. float32 takes blocks of 8 rows (eight accumulators hide the
// FMA latency), then one of 4; float64 blocks of 4 rows by two vectors.
func mulAddFast[T Float](rows, cols, k int, a []T, rsA, csA int, b []T, ldb int, c []T, ldc int) (doneRows, doneCols int) {
	if !useFMA || rows < 4 {
		return 0, 0
	}
	switch a := any(a).(type) {
	case []float32:
		b, c := any(b).([]float32), any(c).([]float32)
		eights := rows / 8 * 8
		doneRows = eights + rows%8/4*4
		for ; doneCols+8 <= cols; doneCols += 8 {
			j := doneCols
			for r := 0; r < eights; r += 8 {
				mulAdd8x8F32(k, &a[r*rsA], rsA, csA, &b[j], ldb, &c[r*ldc+j], ldc)
			}
			if doneRows > eights {
				mulAdd4x8F32(k, &a[eights*rsA], rsA, csA, &b[j], ldb, &c[eights*ldc+j], ldc)
			}
		}
	case []float64:
		b, c := any(b).([]float64), any(c).([]float64)
		doneRows = rows / 4 * 4
		for r := 0; r < doneRows; r += 4 {
			j := 0
			for ; j+8 <= cols; j += 8 {
				mulAdd4x8F64(k, &a[r*rsA], rsA, csA, &b[j], ldb, &c[r*ldc+j], ldc)
			}
			for ; j+4 <= cols; j += 4 {
				mulAdd4x4F64(k, &a[r*rsA], rsA, csA, &b[j], ldb, &c[r*ldc+j], ldc)
			}
			doneCols = j
		}
	}
	return doneRows, doneCols
}
