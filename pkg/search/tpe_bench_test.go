package search

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkTPEBookkeeping runs a tpe stage of n trials (startup 8, rounds
// of 4) over a known objective, so the time is the planner's: one pass per
// round, each reading the results so far. Compare the time per trial at
// n=400 and n=1600 with n=100: 1 would be linear bookkeeping, 4 and 16
// quadratic.
func BenchmarkTPEBookkeeping(b *testing.B) {
	obj := objectives[0]
	for _, n := range []int{100, 400, 1600} {
		b.Run(fmt.Sprint("n=", n), func(b *testing.B) {
			for range b.N {
				cfg := parseConfig(b, fmt.Sprintf(`
name: bench
data: {source: embedded}
model: {hidden: 8}
training: {batch_size: 150, step_size: 20, cycles: 1, records_per_cycle: 1}
search:
  stages:
    - name: s
      sampler: tpe
      trials: %d
      tpe: {startup: 8, batch: 4}
      space: %s
`, n, obj.space))
				path := filepath.Join(b.TempDir(), "b.db")
				if err := sweepRun(b.Context(), b, cfg, path, RunOptions{Workers: 2}, func(r *Runner) { r.trainFn = fakeTrain(obj) }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/trial")
		})
	}
}
