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
// panels of pw hidden units (kernel.Panel), the last one possibly narrower:
// panel q holds units q·pw.. as a d x width row-major block, so the forward
// product streams each panel from contiguous memory and the backward product
// writes its gradient the same way. W2 is transposed (mp x kp).
//
// Hidden units are padded to a multiple of minWidth (mp in all) and classes
// to kp, so that every product runs whole kernel tiles. The extra units and
// classes start at zero and stay there exactly: a padded unit's
// pre-activation is 0, so ReLU's gradient is 0 and so is the penalty's; a
// padded class is left out of the softmax, so its gradient is 0. Padding
// never changes a result.
type network[T kernel.Float] struct {
	ks                  kernel.Set
	d, m, mp, k, kp, pw int
	w1p, b1             []T
	w2t, b2             []T
}

// minWidth is the narrowest column block the kernels run as vector code: 8
// float32 or 4 float64, one AVX2 vector. The notebook's 50 hidden units are
// thus 56 in float32 and 52 in float64, whose products the four columns of
// zeros less make 7% shorter.
func minWidth(p Precision) int {
	if p == Float64 {
		return 4
	}
	return 8
}

// precisionOf is the Precision of the element type T.
func precisionOf[T kernel.Float]() Precision {
	var zero T
	if _, ok := any(zero).(float64); ok {
		return Float64
	}
	return Float32
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// panel returns where the panel holding unit u starts (its first unit) and
// its width.
func (n *network[T]) panel(u int) (first, width int) {
	first = u / n.pw * n.pw
	return first, min(n.pw, n.mp-first)
}

// w1At is the index in w1p of W1[unit][feature].
func (n *network[T]) w1At(unit, feature int) int {
	first, width := n.panel(unit)
	return first*n.d + feature*width + unit - first
}

// unitOf is the hidden unit of w1p[i].
func (n *network[T]) unitOf(i int) int {
	first, width := n.panel(i / (n.d * n.pw) * n.pw)
	return first + (i-first*n.d)%width
}

func newNetwork[T kernel.Float](ks kernel.Set, d, m, k int) *network[T] {
	mw := minWidth(precisionOf[T]())
	mp, kp := roundUp(m, mw), roundUp(k, mw)
	return &network[T]{
		ks: ks, d: d, m: m, mp: mp, k: k, kp: kp, pw: kernel.Panel[T](ks),
		w1p: make([]T, d*mp), b1: make([]T, mp),
		w2t: make([]T, mp*kp), b2: make([]T, kp),
	}
}

// initialise draws W1 ~ N(0, 1/d) and W2 ~ N(0, 1/m) in the row-major order
// of the m x d and K x m matrices, biases zero.
func (n *network[T]) initialise(seed uint64) {
	z := normal{rng: rand.New(rand.NewPCG(seed, initStream))}
	s1 := 1 / math.Sqrt(float64(n.d))
	for i := range n.m {
		for j := range n.d {
			n.w1p[n.w1At(i, j)] = T(z.next() * s1)
		}
	}
	s2 := 1 / math.Sqrt(float64(n.m))
	for c := range n.k {
		for i := range n.m {
			n.w2t[i*n.kp+c] = T(z.next() * s2)
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
			w.W2[c*n.m+i] = float64(n.w2t[i*n.kp+c])
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
			n.w2t[i*n.kp+c] = T(w.W2[c*n.m+i])
		}
	}
	for c := range n.k {
		n.b2[c] = T(w.B2[c])
	}
}

// penalty returns ||W1||² + ||W2||², summed in float64 by fused
// multiply-adds in the conventional order (W1 row by row, then W2), which
// does not depend on the kernels' panel width.
func (n *network[T]) penalty() float64 {
	s := 0.0
	for i := range n.m {
		for j := range n.d {
			w := float64(n.w1p[n.w1At(i, j)])
			s = math.FMA(w, w, s)
		}
	}
	for c := range n.k {
		for i := range n.m {
			w := float64(n.w2t[i*n.kp+c])
			s = math.FMA(w, w, s)
		}
	}
	return s
}

// forward computes H = max(0, X W1ᵀ + b1) (rows x mp) and the scores
// S = H W2ᵀ + b2 (rows x kp, the first K of each row real) for the rows of x.
func (n *network[T]) forward(x []T, rows int, h, s []T) {
	n.biases(rows, h)
	for q := 0; q < n.mp; q += n.pw {
		w := min(n.pw, n.mp-q)
		kernel.MulAdd(n.ks, rows, w, n.d, x, n.d, 1, n.w1p[q*n.d:], w, h[q:], n.mp)
	}
	n.scores(rows, h, s)
}

// forwardData is forward on rows of the float32 data set, converted into
// buf where T is float64. W1 in one panel (AVX2, NEON) takes X through
// kernel.MulAddWidened, which converts it inside the product where it can,
// with the same bits; several panels would each convert it, so X is
// converted once first.
func (n *network[T]) forwardData(x []float32, rows int, buf, h, s []T) {
	h64, ok := any(h).([]float64)
	if !ok || n.pw < n.mp {
		n.forward(rowsAs(n.ks, x, buf), rows, h, s)
		return
	}
	n.biases(rows, h)
	kernel.MulAddWidened(n.ks, rows, n.mp, n.d, x, n.d, any(n.w1p).([]float64), n.mp, h64, n.mp, any(buf).([]float64))
	n.scores(rows, h, s)
}

// biases sets each row of h to b1.
func (n *network[T]) biases(rows int, h []T) {
	for i := range rows {
		copy(h[i*n.mp:(i+1)*n.mp], n.b1)
	}
}

// scores applies the ReLU to h in place and computes the scores into s.
func (n *network[T]) scores(rows int, h, s []T) {
	// Branch-free: the signs are random, and a mispredicted branch per
	// unit cost a tenth of a trial. max keeps a NaN, which the scores then
	// report as divergence.
	for i, v := range h[:rows*n.mp] {
		h[i] = max(v, 0)
	}
	for i := range rows {
		copy(s[i*n.kp:(i+1)*n.kp], n.b2)
	}
	kernel.MulAdd(n.ks, rows, n.kp, n.mp, h, n.mp, 1, n.w2t, n.kp, s, n.kp)
}

// softmaxLoss turns each row of scores (the first k of every stride) into
// probabilities in place, zeroing the padding, and returns the summed
// cross-entropy (in float64, from the log-sum-exp of the scores, so a
// confident mistake costs a large finite loss rather than log 0) and the
// number of correct predictions.
func softmaxLoss[T kernel.Float](s []T, k, stride int, labels []uint8) (loss float64, correct int) {
	return crossEntropy(s, k, stride, labels, true)
}

// crossEntropy is softmaxLoss; with probs false it leaves the scores as they
// are, which is all an evaluation needs.
func crossEntropy[T kernel.Float](s []T, k, stride int, labels []uint8, probs bool) (loss float64, correct int) {
	for i, y := range labels {
		clear(s[i*stride+k : (i+1)*stride])
		row := s[i*stride : i*stride+k]
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
			e := T(exp(float64(row[c] - mx)))
			if probs {
				row[c] = e
			}
			sum += e
		}
		loss += log(float64(sum)) - float64(sy-mx)
		if probs {
			for c := range row {
				row[c] /= sum
			}
		}
	}
	return loss, correct
}
