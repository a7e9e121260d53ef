package train

import (
	"math"
	"math/rand/v2"

	"github.com/sweep-ml/sweep/pkg/train/internal/kernel"
)

// Random streams of one seed: weights and batch order never share numbers,
// so turning shuffling on does not change the initial weights.
const (
	initStream    = 0x5eed_0001
	shuffleStream = 0x5eed_0002
)

// network holds the weights in the layout the kernels want. W1 is stored in
// panels of pw hidden units (kernel.Panel): panel q holds units
// q·pw..q·pw+pw-1 as a d x pw row-major block, so the forward product streams
// each panel from contiguous memory and the backward product writes its
// gradient the same way. W2 is transposed (mp x K).
//
// Hidden units are padded to whole panels, mp in all. The extra units start
// at zero and stay there exactly (their pre-activation is 0, so ReLU's
// gradient is 0 and so is the penalty's), so padding never changes a result.
type network[T kernel.Float] struct {
	d, m, mp, k, pw int
	w1p, b1         []T
	w2t, b2         []T
}

// w1At is the index in w1p of W1[unit][feature].
func (n *network[T]) w1At(unit, feature int) int {
	return (unit/n.pw)*n.d*n.pw + feature*n.pw + unit%n.pw
}

// unitOf is the hidden unit of w1p[i].
func (n *network[T]) unitOf(i int) int {
	return i/(n.d*n.pw)*n.pw + i%n.pw
}

func newNetwork[T kernel.Float](d, m, k int) *network[T] {
	pw := kernel.Panel[T]()
	mp := (m + pw - 1) / pw * pw
	return &network[T]{
		d: d, m: m, mp: mp, k: k, pw: pw,
		w1p: make([]T, d*mp), b1: make([]T, mp),
		w2t: make([]T, mp*k), b2: make([]T, k),
	}
}

// initialise draws W1 ~ N(0, 1/d) and W2 ~ N(0, 1/m) in the row-major order
// of the m x d and K x m matrices, biases zero.
func (n *network[T]) initialise(seed uint64) {
	rng := rand.New(rand.NewPCG(seed, initStream))
	s1 := 1 / math.Sqrt(float64(n.d))
	for i := range n.m {
		for j := range n.d {
			n.w1p[n.w1At(i, j)] = T(rng.NormFloat64() * s1)
		}
	}
	s2 := 1 / math.Sqrt(float64(n.m))
	for c := range n.k {
		for i := range n.m {
			n.w2t[i*n.k+c] = T(rng.NormFloat64() * s2)
		}
	}
}

// Weights is a trained network in the conventional layout: W1 is m x d and
// W2 is K x m, both row-major, in float64 (float32 weights convert exactly).
type Weights struct {
	M, D, K int
	W1, B1  []float64
	W2, B2  []float64
}

func (n *network[T]) export() Weights {
	w := Weights{M: n.m, D: n.d, K: n.k,
		W1: make([]float64, n.m*n.d), B1: make([]float64, n.m),
		W2: make([]float64, n.k*n.m), B2: make([]float64, n.k)}
	for i := range n.m {
		for j := range n.d {
			w.W1[i*n.d+j] = float64(n.w1p[n.w1At(i, j)])
		}
		w.B1[i] = float64(n.b1[i])
		for c := range n.k {
			w.W2[c*n.m+i] = float64(n.w2t[i*n.k+c])
		}
	}
	for c := range n.k {
		w.B2[c] = float64(n.b2[c])
	}
	return w
}

func (n *network[T]) load(w Weights) {
	for i := range n.m {
		for j := range n.d {
			n.w1p[n.w1At(i, j)] = T(w.W1[i*n.d+j])
		}
		n.b1[i] = T(w.B1[i])
		for c := range n.k {
			n.w2t[i*n.k+c] = T(w.W2[c*n.m+i])
		}
	}
	for c := range n.k {
		n.b2[c] = T(w.B2[c])
	}
}

// penalty returns ||W1||² + ||W2||², summed in float64.
func (n *network[T]) penalty() float64 {
	s := 0.0
	for _, w := range n.w1p {
		s += float64(w) * float64(w)
	}
	for _, w := range n.w2t {
		s += float64(w) * float64(w)
	}
	return s
}

// forward computes H = max(0, X W1ᵀ + b1) (rows x mp) and the scores
// S = H W2ᵀ + b2 (rows x K) for the rows of x.
func (n *network[T]) forward(x []T, rows int, h, s []T) {
	for i := range rows {
		copy(h[i*n.mp:(i+1)*n.mp], n.b1)
	}
	for q := 0; q < n.mp; q += n.pw {
		kernel.MulAdd(rows, n.pw, n.d, x, n.d, 1, n.w1p[q*n.d:], n.pw, h[q:], n.mp)
	}
	for i, v := range h[:rows*n.mp] {
		if !(v > 0) { // also maps NaN to 0; divergence is caught from the scores
			h[i] = 0
		}
	}
	for i := range rows {
		copy(s[i*n.k:(i+1)*n.k], n.b2)
	}
	kernel.MulAdd(rows, n.k, n.mp, h, n.mp, 1, n.w2t, n.k, s, n.k)
}

// softmaxLoss turns each row of scores into probabilities in place and
// returns the summed cross-entropy (in float64, from the log-sum-exp of the
// scores, so a confident mistake costs a large finite loss rather than
// log 0) and the number of correct predictions.
func softmaxLoss[T kernel.Float](s []T, k int, labels []uint8) (loss float64, correct int) {
	for i, y := range labels {
		row := s[i*k : (i+1)*k]
		best := 0
		for c := 1; c < k; c++ {
			if row[c] > row[best] {
				best = c
			}
		}
		if best == int(y) {
			correct++
		}
		mx, sy := row[best], row[y]
		var sum T
		for c := range row {
			e := T(math.Exp(float64(row[c] - mx)))
			row[c] = e
			sum += e
		}
		loss += math.Log(float64(sum)) - float64(sy-mx)
		for c := range row {
			row[c] /= sum
		}
	}
	return loss, correct
}
