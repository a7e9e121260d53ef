//go:build !amd64 && !arm64

package kernel

// available is the portable set only: amd64 and arm64 have assembly sets,
// other architectures none.
func available() []Set { return []Set{{generic}} }

func panel32(Set) int { return 8 }

func panel64(Set) int { return 8 }

func mulAddFast[T Float](s Set, rows, cols, k int, a []T, rsA, csA int, b []T, ldb int, c []T, ldc int) int {
	return 0
}

func mulAddWidenedFast(s Set, rows, cols, k int, a []float32, lda int, b []float64, ldb int, c []float64, ldc int) int {
	return 0
}

func widenFast(s Set, dst []float64, src []float32) int { return 0 }

func updateFast[T Float](s Set, w, g []T, eta, t T) int { return 0 }
