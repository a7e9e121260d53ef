package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sweep-ml/sweep/pkg/train/internal/kernel"
)

// Record is one point of a training history. Costs and losses are means
// over the whole split; cost = loss + lambda (||W1||² + ||W2||²).
type Record struct {
	Step          int     `json:"step"`
	Epoch         float64 `json:"epoch"`
	Eta           float64 `json:"eta"`
	TrainCost     float64 `json:"train_cost"`
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	ValCost       float64 `json:"val_cost"`
	ValLoss       float64 `json:"val_loss"`
	ValAccuracy   float64 `json:"val_accuracy"`
}

// Metrics are the cost, loss and accuracy of a network on one split.
type Metrics struct {
	Cost     float64 `json:"cost"`
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
}

// Result is a finished training run.
type Result struct {
	History []Record
	Weights Weights
	Test    Metrics // evaluated in float64 from Weights
	Steps   int
	// Seconds is the training time including recording, summed over resumed
	// segments; RecordSeconds is the part spent recording the history.
	Seconds, RecordSeconds float64
	// Kernel names the kernel set the run used (see [Kernels]); every set
	// gives the same result.
	Kernel string
}

// Checkpoint is the complete state of an unfinished run. Training resumed
// from it ends bit-identical to a run that was never interrupted. The batch
// order needs no saved generator state: each epoch's permutation is drawn
// from a stream derived from (seed, epoch).
type Checkpoint struct {
	AlgorithmVersion       int
	Precision              Precision
	Step                   int
	Weights                Weights
	History                []Record
	Seconds, RecordSeconds float64
}

// Options are the hooks of a training run; the zero value trains to the end.
type Options struct {
	// Resume continues from a checkpoint of the same configuration.
	Resume *Checkpoint
	// CheckpointEvery is the number of updates between calls of
	// OnCheckpoint; 0 means every half cycle (n_s updates; half the rise,
	// n_s/2, for an LR range test, whose cycle is n_s).
	CheckpointEvery int
	// OnCheckpoint receives the state periodically and when ctx is
	// cancelled; an error from it stops training and is returned.
	OnCheckpoint func(*Checkpoint) error
	// OnRecord is called with every history record as it is made.
	OnRecord func(Record)
	// Kernel names the kernel set to train with, one of [Kernels]; ""
	// means [DefaultKernel]. It changes the speed, never the result, so it
	// is not part of a Config.
	Kernel string
}

// ErrDiverged is wrapped by *DivergedError.
var ErrDiverged = errors.New("training diverged")

// DivergedError reports the first step whose cost was NaN or infinite and
// the history recorded until then.
type DivergedError struct {
	Step    int
	History []Record
	// Seconds is the training time until the divergence, as
	// Result.Seconds counts it.
	Seconds float64
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("train: training diverged at step %d (cost is not a finite number)", e.Step)
}
func (e *DivergedError) Unwrap() error { return ErrDiverged }

// ErrCheckpoint is wrapped when a checkpoint does not fit the run.
var ErrCheckpoint = errors.New("checkpoint does not match the run")

// evalBlock is the number of examples evaluated at once when recording: big
// enough for the kernels to run at speed, small enough to stay in cache, and
// a multiple of the 6- and 4-row kernels so no row is left to plain Go.
const evalBlock = 204

// ErrKernel is wrapped by *KernelError.
var ErrKernel = errors.New("kernel not available")

// KernelError names a kernel set that does not exist or that this CPU
// cannot run.
type KernelError struct {
	Name   string
	Reason string
}

func (e *KernelError) Error() string { return "train: kernel " + e.Name + ": " + e.Reason }
func (e *KernelError) Unwrap() error { return ErrKernel }

// Kernels lists the kernel sets this CPU can run, fastest first: "avx512",
// "avx2" (each with FMA) and "generic" on amd64, "generic" elsewhere. Every
// set gives the same bits; they differ only in speed.
func Kernels() []string {
	var names []string
	for _, s := range kernel.Available() {
		names = append(names, s.Name())
	}
	return names
}

// DefaultKernel is the fastest kernel set this CPU can run.
func DefaultKernel() string { return kernel.Default().Name() }

// CheckKernel returns the kernel set name stands for ("" is the default),
// or a *KernelError if this CPU cannot run it.
func CheckKernel(name string) (string, error) {
	s, err := lookupKernel(name)
	return s.Name(), err
}

func lookupKernel(name string) (kernel.Set, error) {
	if name == "" {
		return kernel.Default(), nil
	}
	s, known, runs := kernel.Lookup(name)
	switch {
	case !known:
		return s, &KernelError{name, "no such kernel (the kernels are " + strings.Join(kernel.Names(), ", ") + ")"}
	case !runs:
		return s, &KernelError{name, "this CPU cannot run it (it runs " + strings.Join(Kernels(), ", ") + ")"}
	}
	return s, nil
}

// TotalSteps is the number of updates a run of cfg makes on nTrain examples.
func (c Config) TotalSteps(nTrain int) int {
	return c.cycleLength(c.StepSize.Resolve(nTrain/c.BatchSize)) * c.Cycles
}

// Train trains a network on ds with cfg. It checks ctx between mini-batches.
func Train(ctx context.Context, cfg Config, ds *Dataset, opts Options) (*Result, error) {
	if err := cfg.Validate(ds.NTrain()); err != nil {
		return nil, err
	}
	if err := cfg.CheckSize(ds.D, ds.K, ds.NTrain()); err != nil {
		return nil, err
	}
	ks, err := lookupKernel(opts.Kernel)
	if err != nil {
		return nil, err
	}
	if cfg.Precision == Float32 {
		return run[float32](ctx, ks, cfg, ds, opts)
	}
	return run[float64](ctx, ks, cfg, ds, opts)
}

type trainer[T kernel.Float] struct {
	cfg        Config
	ds         *Dataset
	net        *network[T]
	grads      *gradients[T]
	perEpoch   int
	ns, total  int
	xbuf       []T // a batch or evaluation block, when it must be gathered or converted
	ybuf       []uint8
	h, s       []T // hidden activations and scores of a batch or block
	perm       []int
	permEpoch  int
	recordTime time.Duration
}

func run[T kernel.Float](ctx context.Context, ks kernel.Set, cfg Config, ds *Dataset, opts Options) (*Result, error) {
	nb := cfg.BatchSize
	tr := &trainer[T]{cfg: cfg, ds: ds, perEpoch: ds.NTrain() / nb, permEpoch: -1}
	tr.ns = cfg.StepSize.Resolve(tr.perEpoch)
	tr.total = cfg.cycleLength(tr.ns) * cfg.Cycles
	tr.net = newNetwork[T](ks, ds.D, cfg.Hidden, ds.K)
	rows := max(nb, evalBlock)
	tr.grads = newGradients(tr.net, nb)
	tr.xbuf = make([]T, rows*ds.D)
	tr.ybuf = make([]uint8, nb)
	tr.h = make([]T, rows*tr.net.mp)
	tr.s = make([]T, rows*tr.net.kp)
	if cfg.Shuffle {
		tr.perm = make([]int, ds.NTrain())
	}

	start := time.Now()
	var history []Record
	var priorSeconds, priorRecord float64
	t := 0
	if ck := opts.Resume; ck != nil {
		if err := tr.checkResume(ck); err != nil {
			return nil, err
		}
		tr.net.load(ck.Weights)
		t = ck.Step
		history = append(make([]Record, 0, len(ck.History)), ck.History...)
		priorSeconds, priorRecord = ck.Seconds, ck.RecordSeconds
	} else {
		tr.net.initialise(cfg.Seed)
	}
	checkpoint := func() *Checkpoint {
		return &Checkpoint{
			AlgorithmVersion: AlgorithmVersion, Precision: cfg.Precision, Step: t,
			Weights: tr.net.export(), History: append([]Record(nil), history...),
			Seconds:       priorSeconds + time.Since(start).Seconds(),
			RecordSeconds: priorRecord + tr.recordTime.Seconds(),
		}
	}
	every := opts.CheckpointEvery
	if every <= 0 {
		every = max(1, cfg.cycleLength(tr.ns)/2)
	}

	steps := recordSteps(cfg.cycleLength(tr.ns), cfg.Cycles, cfg.RecordsPerCycle)
	next := len(history) // index into steps of the next record to make
	for {
		if next < len(steps) && steps[next] == t {
			rec := tr.record(t)
			history = append(history, rec)
			next++
			if opts.OnRecord != nil {
				opts.OnRecord(rec)
			}
			if !finite(rec.TrainCost) || !finite(rec.ValCost) {
				return nil, &DivergedError{Step: t, History: history, Seconds: priorSeconds + time.Since(start).Seconds()}
			}
		}
		if t == tr.total {
			break
		}
		if t > 0 && t%every == 0 && opts.OnCheckpoint != nil && (opts.Resume == nil || t != opts.Resume.Step) {
			if err := opts.OnCheckpoint(checkpoint()); err != nil {
				return nil, err
			}
		}
		if err := ctx.Err(); err != nil {
			if opts.OnCheckpoint != nil {
				if cerr := opts.OnCheckpoint(checkpoint()); cerr != nil {
					return nil, errors.Join(err, cerr)
				}
			}
			return nil, err
		}
		if !tr.step(t) {
			return nil, &DivergedError{Step: t, History: history, Seconds: priorSeconds + time.Since(start).Seconds()}
		}
		t++
	}
	w := tr.net.export()
	res := &Result{
		History: history, Weights: w, Steps: t, Kernel: ks.Name(),
		Seconds:       priorSeconds + time.Since(start).Seconds(),
		RecordSeconds: priorRecord + tr.recordTime.Seconds(),
	}
	res.Test = evaluate(ks, w, cfg.Lambda, ds.Mean, ds.Std, ds.Test)
	return res, nil
}

func (tr *trainer[T]) checkResume(ck *Checkpoint) error {
	w := ck.Weights
	switch {
	case ck.AlgorithmVersion != AlgorithmVersion:
		return fmt.Errorf("train: %w: made by algorithm version %d, this is %d", ErrCheckpoint, ck.AlgorithmVersion, AlgorithmVersion)
	case ck.Precision != tr.cfg.Precision:
		return fmt.Errorf("train: %w: precision %s, the run uses %s", ErrCheckpoint, ck.Precision, tr.cfg.Precision)
	case w.M != tr.net.m || w.D != tr.net.d || w.K != tr.net.k ||
		len(w.W1) != w.M*w.D || len(w.B1) != w.M || len(w.W2) != w.K*w.M || len(w.B2) != w.K:
		return fmt.Errorf("train: %w: a %dx%dx%d network, the run trains %dx%dx%d", ErrCheckpoint, w.K, w.M, w.D, tr.net.k, tr.net.m, tr.net.d)
	case ck.Step < 0 || ck.Step > tr.total:
		return fmt.Errorf("train: %w: step %d is outside 0..%d", ErrCheckpoint, ck.Step, tr.total)
	}
	return nil
}

// step performs update t and reports whether the batch's scores were finite.
func (tr *trainer[T]) step(t int) bool {
	nb, d := tr.cfg.BatchSize, tr.ds.D
	epoch, b := t/tr.perEpoch, t%tr.perEpoch
	net := tr.net
	var x []T
	var y []uint8
	if tr.cfg.Shuffle {
		tr.shuffle(epoch)
		for i, idx := range tr.perm[b*nb : (b+1)*nb] {
			convert(net.ks, tr.xbuf[i*d:(i+1)*d], tr.ds.TrainX[idx*d:(idx+1)*d])
			tr.ybuf[i] = tr.ds.TrainY[idx]
		}
		x, y = tr.xbuf[:nb*d], tr.ybuf
	} else {
		x = rowsAs(net.ks, tr.ds.TrainX[b*nb*d:(b+1)*nb*d], tr.xbuf)
		y = tr.ds.TrainY[b*nb : (b+1)*nb]
	}
	net.forward(x, nb, tr.h, tr.s)
	loss, _ := softmaxLoss(tr.s[:nb*net.kp], net.k, net.kp, y)
	if !finite(loss) {
		return false
	}
	net.backward(x, nb, y, tr.h, tr.s, tr.grads)
	net.update(tr.grads, Eta(tr.cfg, tr.ns, t), tr.cfg.Lambda)
	return true
}

// shuffle sets perm to epoch's batch order, drawn from its own stream so that
// any epoch's order can be rebuilt from the seed alone.
func (tr *trainer[T]) shuffle(epoch int) {
	if tr.permEpoch == epoch {
		return
	}
	for i := range tr.perm {
		tr.perm[i] = i
	}
	rng := rand.New(rand.NewPCG(tr.cfg.Seed, shuffleStream+uint64(epoch)*0x9e3779b97f4a7c15))
	rng.Shuffle(len(tr.perm), func(i, j int) { tr.perm[i], tr.perm[j] = tr.perm[j], tr.perm[i] })
	tr.permEpoch = epoch
}

func (tr *trainer[T]) record(t int) Record {
	began := time.Now()
	pen := float64(tr.cfg.Lambda * tr.net.penalty()) // rounded: not fused into the costs
	trLoss, trAcc := tr.evaluate(tr.ds.TrainX, tr.ds.TrainY)
	vaLoss, vaAcc := tr.evaluate(tr.ds.ValX, tr.ds.ValY)
	tr.recordTime += time.Since(began)
	return Record{
		Step: t, Epoch: float64(t) / float64(tr.perEpoch), Eta: Eta(tr.cfg, tr.ns, t),
		TrainCost: trLoss + pen, TrainLoss: trLoss, TrainAccuracy: trAcc,
		ValCost: vaLoss + pen, ValLoss: vaLoss, ValAccuracy: vaAcc,
	}
}

// evaluate returns the mean loss and the accuracy over a whole split, in
// blocks that reuse the training buffers.
func (tr *trainer[T]) evaluate(x []float32, y []uint8) (loss, accuracy float64) {
	d, k, kp := tr.ds.D, tr.net.k, tr.net.kp
	correct := 0
	for i := 0; i < len(y); i += evalBlock {
		rows := min(evalBlock, len(y)-i)
		tr.net.forwardData(x[i*d:(i+rows)*d], rows, tr.xbuf, tr.h, tr.s)
		l, c := crossEntropy(tr.s[:rows*kp], k, kp, y[i:i+rows], false)
		loss += l
		correct += c
	}
	n := float64(len(y))
	return loss / n, float64(correct) / n
}

// Evaluate computes the cost, loss and accuracy of w on raw examples in
// float64, normalising each pixel as (pixel - mean) / std.
func Evaluate(w Weights, lambda float64, mean, std []float64, ex Examples) Metrics {
	return evaluate(kernel.Default(), w, lambda, mean, std, ex)
}

// evaluate is Evaluate with the kernel set ks, which changes only the speed.
func evaluate(ks kernel.Set, w Weights, lambda float64, mean, std []float64, ex Examples) Metrics {
	net := newNetwork[float64](ks, w.D, w.M, w.K)
	net.load(w)
	d := w.D
	x := make([]float64, evalBlock*d)
	h := make([]float64, evalBlock*net.mp)
	s := make([]float64, evalBlock*net.kp)
	var loss float64
	correct := 0
	for i := 0; i < ex.N; i += evalBlock {
		rows := min(evalBlock, ex.N-i)
		for r := range rows {
			px := ex.Pixels[(i+r)*d : (i+r+1)*d]
			xr := x[r*d : (r+1)*d]
			for j, p := range px {
				xr[j] = (float64(p) - mean[j]) / std[j]
			}
		}
		net.forward(x, rows, h, s)
		l, c := crossEntropy(s[:rows*net.kp], w.K, net.kp, ex.Labels[i:i+rows], false)
		loss += l
		correct += c
	}
	n := float64(ex.N)
	loss /= n
	return Metrics{Cost: loss + float64(lambda*net.penalty()), Loss: loss, Accuracy: float64(correct) / n}
}

// rowsAs returns src as a []T, converting into buf only when T is not
// float32: the float32 path reads the shared data set in place.
func rowsAs[T kernel.Float](ks kernel.Set, src []float32, buf []T) []T {
	if v, ok := any(src).([]T); ok {
		return v
	}
	convert(ks, buf[:len(src)], src)
	return buf[:len(src)]
}

func convert[T kernel.Float](ks kernel.Set, dst []T, src []float32) {
	if d, ok := any(dst).([]float64); ok {
		kernel.Widen(ks, d, src)
		return
	}
	copy(any(dst).([]float32), src)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
