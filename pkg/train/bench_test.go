package train

import (
	"flag"
	"math/rand/v2"
	"syscall"
	"testing"
)

var benchKernel = flag.String("kernel", "", "kernel set the benchmarks train with (default the fastest)")

// cpuSeconds is the user + system CPU time of this process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// cifarShaped builds the benchmark workload of the performance issue in
// memory: 45000 x 3072 training and 5000 validation examples, K = 10.
func cifarShaped(b *testing.B, n, nVal int) *Dataset {
	b.Helper()
	const d, k = 3072, 10
	rng := rand.New(rand.NewPCG(2024, 1))
	split := func(n int) Examples {
		e := Examples{Pixels: make([]uint8, n*d), Labels: make([]uint8, n), N: n}
		for i := range e.Pixels {
			e.Pixels[i] = uint8(rng.Uint32())
		}
		for i := range e.Labels {
			e.Labels[i] = uint8(rng.IntN(k))
			// A class-dependent bright patch makes the problem learnable.
			off := i*d + int(e.Labels[i])*300
			for j := off; j < off+100; j++ {
				e.Pixels[j] |= 0xc0
			}
		}
		return e
	}
	trainSplit, val, test := split(n), split(nVal), split(1000)
	mean, std := make([]float64, d), make([]float64, d)
	for j := range d {
		mean[j], std[j] = 127.5, 73.9
	}
	ds, err := Prepare(k, mean, std, trainSplit, val, test)
	if err != nil {
		b.Fatal(err)
	}
	return ds
}

// BenchmarkEpochCIFAR reports seconds per epoch of the CIFAR-shaped workload
// (m = 50, batch 100, fixed order), training only and including the
// recording density of n_s = 2 epochs with 10 records per cycle (2.5 full
// train + validation evaluations per epoch). Compare with bench/numpy_ref.py
// through bench/compare.sh.
func BenchmarkEpochCIFAR(b *testing.B) {
	ds := cifarShaped(b, 45000, 5000)
	for _, p := range []Precision{Float64, Float32} {
		b.Run(string(p), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Precision = p
			cfg.StepSize = StepSize{Epochs: 1}
			cfg.Cycles = 1
			cfg.RecordsPerCycle = 5 // 2.5 per epoch, as 10 per 4-epoch cycle
			var train, total, cpu float64
			for b.Loop() {
				before := cpuSeconds()
				res, err := Train(b.Context(), cfg, ds, Options{Kernel: *benchKernel})
				if err != nil {
					b.Fatal(err)
				}
				cpu += cpuSeconds() - before
				// The step-0 record is extra to the per-epoch density.
				perRecord := res.RecordSeconds / float64(len(res.History))
				train += res.Seconds - res.RecordSeconds
				total += res.Seconds - perRecord
			}
			epochs := float64(2 * b.N)
			b.ReportMetric(train/epochs, "s/epoch-train")
			b.ReportMetric(total/epochs, "s/epoch-total")
			// CPU time is what to compare on a shared machine, where wall
			// time also counts waiting for a core.
			b.ReportMetric(cpu/epochs, "cpu-s/epoch-total")
			b.ReportMetric(0, "ns/op")
		})
	}
}
