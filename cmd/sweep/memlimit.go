package main

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/train"
)

// Without a limit the Go collector lets the heap grow to twice what is live
// before collecting. A sweep's live heap is mostly its data, so during a
// sweep the garbage of loading and training (file buffers, raw pixels,
// histories, checkpoint blobs, store transactions) piles up to another data
// set's worth before any of it is freed: on the CIFAR-shaped benchmark
// (bench/memory.sh) peak RSS was 1.7 times the data. A soft limit a little
// above what the sweep needs makes the collector run earlier instead.
// Collections stay cheap because the data are pointer-free float32 and byte
// slices, which the collector never scans.
const (
	// memSlack covers the runtime, the binary and bbolt's pages in use.
	memSlack = 64 << 20
	// evalRows bounds the block size of train's forward passes over a
	// split (204 rows today) with room to spare.
	evalRows = 5000
	// maxClasses bounds K for the per-worker estimate.
	maxClasses = 11
)

// setMemoryLimit sets the runtime's soft memory limit for a sweep that will
// train up to workers trials at once of at most maxHidden hidden units on
// features inputs, and returns the limit (0 when it left it alone: a
// GOMEMLIMIT in the environment wins). Call it once the runner has loaded
// its data sets and before training starts: it measures what is live then
// (every data set the stages use), after a collection that also frees the
// garbage of loading and returns it to the operating system.
//
// The limit is 9/8 of the live heap, plus room per worker, plus memSlack.
// Room matters more than tightness: if what is live ever exceeded the limit
// the collector would run back to back and slow training by up to half, so
// each worker is allowed eight float64 copies of its network and two
// evaluation blocks, about twice what a trial holds (5-6 MiB per worker
// measured at m=50, d=3072).
func setMemoryLimit(workers, maxHidden, features int) int64 {
	if _, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		return 0
	}
	debug.FreeOSMemory()
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	if live[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	data := int64(live[0].Value.Uint64())
	m, d := int64(maxHidden), int64(features)
	network := 8 * (m*d + m + maxClasses*m + maxClasses)
	perWorker := 8*network + 2*evalRows*m*8
	limit := data + data/8 + int64(workers)*perWorker + memSlack
	debug.SetMemoryLimit(limit)
	return limit
}

// maxHidden is the largest number of hidden units any trial of cfg can
// have: the base setting, every stage's override and the upper end of any
// searched hidden dimension. A refined dimension takes its range from
// earlier results widened by the refine margin, so it is taken to reach
// twice the largest value before it.
func maxHidden(cfg config.Config) int {
	most := float64(cfg.Training.Hidden)
	for i := range cfg.Search.Stages {
		st := &cfg.Search.Stages[i]
		if tc, err := cfg.TrainConfig(st, nil); err == nil {
			most = max(most, float64(tc.Hidden))
		}
		for _, dim := range st.Space {
			if dim.Name != "hidden" {
				continue
			}
			switch {
			case dim.Refine:
				most *= 2
			case dim.Kind == config.Log10:
				most = max(most, math.Pow(10, dim.Hi))
			case dim.Kind == config.Const || dim.Kind == config.Choice:
				for _, v := range dim.Values {
					most = max(most, v)
				}
			default:
				most = max(most, dim.Hi)
			}
		}
	}
	return int(min(most, train.MaxHidden))
}
