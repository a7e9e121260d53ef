package kernel

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
)

// threadCPU is the CPU time of the calling thread: on a shared machine it
// leaves out the time the benchmark waited for a core.
func threadCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1, &ru); err != nil { // RUSAGE_THREAD
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// The products of a CIFAR-shaped step (d = 3072, 56 padded hidden units and
// 16 classes in float32, 52 and 12 in float64, batch 100, evaluation blocks
// of 204): X·W1 forward over panels of Panel(s) columns, Xᵀ·G1 into the W1
// gradient, and the small H·W2 ones.
type mulAddShape struct {
	name             string
	rows, cols, k    int
	transposedA      bool // A read down its columns (rsA 1, csA rows)
	panels, smallDim bool
	// blocks > 1 gives A that many row blocks, taken in turn, so that A
	// comes from memory as an evaluation's X does rather than from cache.
	blocks int
}

var stepShapes = []mulAddShape{
	{name: "XW1", rows: 100, cols: 56, k: 3072, panels: true},
	{name: "XW1eval", rows: 204, cols: 56, k: 3072, panels: true},
	{name: "XW1evalMem", rows: 204, cols: 56, k: 3072, panels: true, blocks: 64},
	{name: "XtG1", rows: 3072, cols: 56, k: 100, transposedA: true, panels: true},
	{name: "HW2", rows: 100, cols: 16, k: 56},
	{name: "HtG", rows: 56, cols: 16, k: 100, transposedA: true},
	{name: "GW2t", rows: 100, cols: 56, k: 16},
}

// BenchmarkMulAdd reports GFLOP/s of every kernel set this CPU runs on the
// step's products; compare sets within one run, since the machine is shared.
func BenchmarkMulAdd(b *testing.B) {
	for _, s := range Available() {
		for _, sh := range stepShapes {
			b.Run(fmt.Sprintf("%s/%s/float32", s.Name(), sh.name), func(b *testing.B) { benchShape[float32](b, s, sh) })
			b.Run(fmt.Sprintf("%s/%s/float64", s.Name(), sh.name), func(b *testing.B) { benchShape[float64](b, s, sh) })
		}
	}
}

func benchShape[T Float](b *testing.B, s Set, sh mulAddShape) {
	if _, ok := any(T(0)).(float64); ok { // the network pads float64 to 4, not 8
		f64 := map[int]int{56: 52, 16: 12}
		for _, n := range []*int{&sh.rows, &sh.cols, &sh.k} {
			if v, ok := f64[*n]; ok {
				*n = v
			}
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	fill := func(n int) []T {
		x := make([]T, n)
		for i := range x {
			x[i] = T(rng.NormFloat64())
		}
		return x
	}
	blocks := max(sh.blocks, 1)
	as, bm, c := fill(blocks*sh.rows*sh.k), fill(sh.k*sh.cols), fill(sh.rows*sh.cols)
	rsA, csA := sh.k, 1
	if sh.transposedA {
		rsA, csA = 1, sh.rows
	}
	pw := sh.cols
	if sh.panels {
		pw = Panel[T](s)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := threadCPU()
	for i := 0; b.Loop(); i++ {
		a := as[i%blocks*sh.rows*sh.k:][:sh.rows*sh.k]
		// As the network does: W1 in panels of pw columns, each panel a
		// contiguous block with row stride its width.
		for q := 0; q < sh.cols; q += pw {
			w := min(pw, sh.cols-q)
			if sh.transposedA {
				MulAdd(s, sh.rows, w, sh.k, a, rsA, csA, bm[q:], sh.cols, c[q*sh.rows:], w)
			} else {
				MulAdd(s, sh.rows, w, sh.k, a, rsA, csA, bm[q*sh.k:], w, c[q:], sh.cols)
			}
		}
	}
	flops := 2 * float64(sh.rows*sh.cols*sh.k) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu := threadCPU() - cpu0; cpu > 0 {
		b.ReportMetric(flops/cpu/1e9, "GFLOP/cpu-s")
	}
}
