// Package train trains the two-layer network of the notebook exactly and
// fast: s1 = W1 x + b1, h = max(0, s1), p = softmax(W2 h + b2), cost = mean
// cross-entropy + lambda (||W1||² + ||W2||²), plain mini-batch gradient
// descent with a cyclical learning rate ([Eta]: triangular, triangular2 or
// exp_range, half-cycle n_s), or the LR range test's single log-linear
// rise from eta_min to eta_max over step_size updates (lr_range, one
// "cycle" of n_s updates).
//
// It is pure computation: no files. [Prepare] turns a loaded data set into a
// [Dataset] (training and validation splits normalised once into float32
// rows shared by every run; the test split kept raw and evaluated in float64
// by [Evaluate]). [Train] runs one [Config] on one goroutine, records the
// history ([Record]) at step 0 and records_per_cycle points per cycle,
// checks its context between mini-batches and hands out [Checkpoint]s from
// which a resumed run ends bit-identical to one never interrupted. A cost
// that is not finite stops the run with a [DivergedError].
//
// A run is a pure function of its Config (seed included) and the data, the
// same bits on every CPU: the weights are drawn from a PCG stream of the
// seed, each epoch's batch order from another. The matrix kernels
// (internal/kernel) come in sets — AVX-512 and AVX2 assembly on amd64, NEON
// assembly on arm64, portable Go — that all compute the same fused
// multiply-adds in the same order;
// [Options].Kernel picks one of [Kernels] for speed alone. Every other float
// expression rounds each product explicitly or fuses it with math.FMA, never
// leaving the choice to the compiler, and exp, log and pow are the package's
// own. [AlgorithmVersion] changes whenever any result could change.
package train
