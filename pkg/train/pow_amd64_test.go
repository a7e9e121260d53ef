//go:build amd64 && !amd64.v3 && !amd64.v4

package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Built for amd64 below v3, the standard library's math.Pow is portable Go
// that nothing fuses, and powInt follows its order exactly: exp_range's
// learning rates are those of algorithm version 8 on x86.
func TestPowIntIsMathPow(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for range 20000 {
		x := 1 - math.Ldexp(rng.Float64(), -rng.IntN(30))
		n := rng.IntN(1 << rng.IntN(24))
		if got, want := powInt(x, n), math.Pow(x, float64(n)); got != want {
			t.Fatalf("powInt(%v, %d) = %v, math.Pow %v", x, n, got, want)
		}
	}
}
