package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sweep-ml/sweep/pkg/train/internal/kernel"
)

// costOf returns J = mean cross-entropy + lambda (||W1||² + ||W2||²) of x.
func costOf(n *network[float64], x []float64, y []uint8, lambda float64) float64 {
	rows := len(y)
	h := make([]float64, rows*n.mp)
	s := make([]float64, rows*n.kp)
	n.forward(x, rows, h, s)
	loss, _ := softmaxLoss(s, n.k, n.kp, y)
	return loss/float64(rows) + lambda*n.penalty()
}

// TestGradientsMatchFiniteDifferences checks every analytic gradient entry
// against a centred difference of the cost, with and without the penalty.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	for _, tc := range []struct {
		name          string
		d, m, k, rows int
		lambda        float64
	}{
		{"no penalty", 7, 5, 3, 4, 0},
		{"penalty", 7, 5, 3, 4, 0.1},
		{"wider", 12, 9, 4, 6, 0.01},
		{"one example", 5, 3, 2, 1, 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(tc.d)))
			n := newNetwork[float64](kernel.Default(), tc.d, tc.m, tc.k)
			n.initialise(3)
			for i := range n.m { // nonzero biases exercise their gradients too
				n.b1[i] = 0.1 * rng.NormFloat64()
			}
			for c := range n.k {
				n.b2[c] = 0.1 * rng.NormFloat64()
			}
			x := make([]float64, tc.rows*tc.d)
			for i := range x {
				x[i] = rng.NormFloat64()
			}
			y := make([]uint8, tc.rows)
			for i := range y {
				y[i] = uint8(rng.IntN(tc.k))
			}

			h := make([]float64, tc.rows*n.mp)
			s := make([]float64, tc.rows*n.kp)
			g := newGradients(n, tc.rows)
			n.forward(x, tc.rows, h, s)
			softmaxLoss(s, n.k, n.kp, y)
			n.backward(x, tc.rows, y, h, s, g)

			// A five-point difference: its truncation error (step⁴) is
			// negligible, and a step this large keeps the cost's rounding
			// error (about 1e-16 / step) well below the 1e-6 bound even for
			// entries near zero.
			const step = 1e-4
			at := func(w []float64, i int, v float64) float64 {
				orig := w[i]
				w[i] = v
				c := costOf(n, x, y, tc.lambda)
				w[i] = orig
				return c
			}
			check := func(name string, w, grad []float64, penalised bool, live func(i int) bool) {
				for i := range w {
					if !live(i) {
						continue
					}
					analytic := grad[i]
					if penalised {
						analytic += 2 * tc.lambda * w[i]
					}
					wi := w[i]
					numeric := (8*(at(w, i, wi+step)-at(w, i, wi-step)) - (at(w, i, wi+2*step) - at(w, i, wi-2*step))) / (12 * step)
					rel := math.Abs(analytic-numeric) / math.Max(1e-8, math.Abs(analytic)+math.Abs(numeric))
					if rel > 1e-6 {
						t.Errorf("%s[%d]: analytic %.12g, numeric %.12g, relative error %.3g", name, i, analytic, numeric, rel)
					}
				}
			}
			check("W1", n.w1p, g.w1p, true, func(i int) bool { return n.unitOf(i) < n.m })
			check("b1", n.b1, g.b1, false, func(i int) bool { return i < n.m })
			check("W2", n.w2t, g.w2t, true, func(i int) bool { return i/n.kp < n.m && i%n.kp < n.k })
			check("b2", n.b2, g.b2, false, func(int) bool { return true })
		})
	}
}

// The padded hidden units and classes must stay exactly zero through
// training, or padding would change results. 21 units (24 padded) make a
// narrower last panel where panels are 16 wide (float32 with AVX-512).
func TestPaddingStaysZero(t *testing.T) {
	t.Run("float64", testPaddingStaysZero[float64])
	t.Run("float32", testPaddingStaysZero[float32])
}

func testPaddingStaysZero[T kernel.Float](t *testing.T) {
	const d, m, k, rows = 6, 21, 3, 8
	n := newNetwork[T](kernel.Default(), d, m, k)
	if n.mp == n.m || n.kp == n.k {
		t.Fatalf("test needs padded units and classes: m %d → %d, K %d → %d", n.m, n.mp, n.k, n.kp)
	}
	n.initialise(1)
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]T, rows*d)
	y := make([]uint8, rows)
	h := make([]T, rows*n.mp)
	s := make([]T, rows*n.kp)
	g := newGradients(n, rows)
	for range 50 {
		for i := range x {
			x[i] = T(rng.NormFloat64())
		}
		for i := range y {
			y[i] = uint8(rng.IntN(k))
		}
		n.forward(x, rows, h, s)
		softmaxLoss(s, k, n.kp, y)
		n.backward(x, rows, y, h, s, g)
		n.update(g, 0.5, 0.01)
	}
	for j := range n.mp {
		for c := range n.kp {
			if v := n.w2t[j*n.kp+c]; (j >= m || c >= k) && v != 0 {
				t.Fatalf("padded W2[%d][%d] = %g", c, j, v)
			}
		}
		if j < m {
			continue
		}
		if n.b1[j] != 0 {
			t.Fatalf("padded b1[%d] = %g", j, n.b1[j])
		}
		for i := range d {
			if v := n.w1p[n.w1At(j, i)]; v != 0 {
				t.Fatalf("padded W1[%d][%d] = %g", j, i, v)
			}
		}
	}
	for c := k; c < n.kp; c++ {
		if n.b2[c] != 0 {
			t.Fatalf("padded b2[%d] = %g", c, n.b2[c])
		}
	}
	// The layout maps every (unit, feature) to its own slot and back.
	seen := map[int]bool{}
	for j := range n.mp {
		for i := range d {
			at := n.w1At(j, i)
			if seen[at] || n.unitOf(at) != j {
				t.Fatalf("W1[%d][%d] at %d: taken twice or maps back to unit %d", j, i, at, n.unitOf(at))
			}
			seen[at] = true
		}
	}
}
