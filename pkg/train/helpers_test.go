package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// syntheticDataset builds a learnable problem: each class has its own mean
// pixel pattern plus noise, so training measurably improves accuracy. It is
// the same on every CPU (no fusable expression, the package's own normal
// numbers), so results on it can be compared across machines.
func syntheticDataset(t testing.TB, n, d, k int, seed uint64) *Dataset {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	z := normal{rng: rng}
	centres := make([][]float64, k)
	for c := range centres {
		centres[c] = make([]float64, d)
		for j := range d {
			centres[c][j] = 60 + float64(140*rng.Float64())
		}
	}
	split := func(n int) Examples {
		e := Examples{Pixels: make([]uint8, n*d), Labels: make([]uint8, n), N: n}
		for i := range n {
			c := rng.IntN(k)
			e.Labels[i] = uint8(c)
			for j := range d {
				v := centres[c][j] + float64(30*z.next())
				e.Pixels[i*d+j] = uint8(max(0, min(255, v)))
			}
		}
		return e
	}
	trainSplit, val, test := split(n), split(n/5), split(n/5)
	means, stds := make([]float64, d), make([]float64, d)
	for j := range d {
		var s, s2 float64
		for i := range n {
			v := float64(trainSplit.Pixels[i*d+j])
			s += v
			s2 += float64(v * v)
		}
		mean := s / float64(n)
		means[j] = mean
		stds[j] = max(1, math.Sqrt(s2/float64(n)-float64(mean*mean)))
	}
	ds, err := Prepare(k, means, stds, trainSplit, val, test)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// smallConfig trains quickly on syntheticDataset.
func smallConfig() Config {
	c := DefaultConfig()
	c.Hidden = 10
	c.BatchSize = 20
	c.StepSize = StepSize{Updates: 15}
	c.Cycles = 2
	c.RecordsPerCycle = 4
	c.EtaMax = 0.05
	return c
}
