//go:build !amd64 && !arm64

package kernel

func name() string { return "go" }

func panel32() int { return 8 }

func panel64() int { return 8 }

func mulAddFast[T Float](rows, cols, k int, a []T, rsA, csA int, b []T, ldb int, c []T, ldc int) int {
	return 0
}

func widenFast(dst []float64, src []float32) int { return 0 }

func updateFast[T Float](w, g []T, eta, t T) int { return 0 }
