package train

import "github.com/sweep-ml/sweep/pkg/train/internal/kernel"

// gradients holds the data-term gradients of one mini-batch in the
// network's layout; the penalty's 2λW is added during the update.
type gradients[T kernel.Float] struct {
	w1p, b1, w2t, b2 []T
	g1               []T // rows x mp, dJ/dS1
	w2               []T // W2 as kp x mp, for G1 = G W2 in the kernels
}

func newGradients[T kernel.Float](n *network[T], rows int) *gradients[T] {
	return &gradients[T]{
		w1p: make([]T, len(n.w1p)), b1: make([]T, n.mp),
		w2t: make([]T, len(n.w2t)), b2: make([]T, n.kp),
		g1: make([]T, rows*n.mp), w2: make([]T, n.kp*n.mp),
	}
}

// backward computes the gradients of the mean cross-entropy of the batch x
// (rows x d) from the forward pass's h and probabilities p; p is overwritten
// with G = (P - Y) / rows. Folding 1/rows into G once is the same as the
// notebook's dividing every gradient by n_b.
func (n *network[T]) backward(x []T, rows int, labels []uint8, h, p []T, g *gradients[T]) {
	inv := 1 / T(rows)
	for i, y := range labels[:rows] {
		row := p[i*n.kp : i*n.kp+n.k]
		row[y]--
		for c := range row {
			row[c] = T(row[c] * inv) // rounded here, whatever uses it next
		}
	}
	clear(g.w2t)
	kernel.MulAdd(n.ks, n.mp, n.kp, rows, h, 1, n.mp, p, n.kp, g.w2t, n.kp)
	clear(g.b2)
	for i := range rows {
		for c, v := range p[i*n.kp : i*n.kp+n.k] {
			g.b2[c] += v
		}
	}
	// G1 = (G W2) masked by ReLU's gradient. W2 is small (K x m), so it is
	// transposed every step to let the kernels compute G W2.
	for j := range n.mp {
		for c := range n.kp {
			g.w2[c*n.mp+j] = n.w2t[j*n.kp+c]
		}
	}
	clear(g.g1)
	kernel.MulAdd(n.ks, rows, n.mp, n.kp, p, n.kp, 1, g.w2, n.mp, g.g1, n.mp)
	clear(g.b1)
	for i := range rows {
		hi, g1 := h[i*n.mp:(i+1)*n.mp], g.g1[i*n.mp:(i+1)*n.mp]
		for j, v := range hi {
			if !(v > 0) {
				g1[j] = 0
			}
			g.b1[j] += g1[j]
		}
	}
	clear(g.w1p)
	for q := 0; q < n.mp; q += n.pw {
		w := min(n.pw, n.mp-q)
		kernel.MulAdd(n.ks, n.d, w, rows, x, 1, n.d, g.g1[q:], n.mp, g.w1p[q*n.d:], w)
	}
}

// update takes one gradient step: W -= eta (dW + 2 lambda W), b -= eta db.
func (n *network[T]) update(g *gradients[T], eta, lambda float64) {
	e, twoL := T(eta), T(2*lambda)
	kernel.Update(n.ks, n.w1p, g.w1p, e, twoL)
	kernel.Update(n.ks, n.w2t, g.w2t, e, twoL)
	kernel.Update(n.ks, n.b1, g.b1, e, 0)
	kernel.Update(n.ks, n.b2, g.b2, e, 0)
}
