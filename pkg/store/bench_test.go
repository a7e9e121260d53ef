package store

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
)

// Sizes from the issue: MNIST-like inputs, 50 hidden units, 10 classes.
const benchM, benchD, benchK = 50, 784, 10

func benchTrial(i int) Trial {
	tr := sampleTrial(fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15), Done)
	tr.Index = i
	tr.Final = Metrics{TrainCost: f64(0.3), TrainAccuracy: f64(0.9), ValCost: f64(0.4), ValAccuracy: f64(float64(i%1000) / 1000)}
	return tr
}

// BenchmarkFinishTrial stores one finished trial per iteration: ~21 history
// records, 330 KB of weights, checkpoint removal and one fsync'd commit.
func BenchmarkFinishTrial(b *testing.B) {
	db, _ := newDB(b, Options{})
	w := sampleWeights(benchM, benchD, benchK, true, 1)
	h := sampleHistory(21)
	i := 0
	for b.Loop() {
		if err := db.FinishTrial(benchTrial(i), h, w); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkSaveCheckpoint stores a 1.2 MB checkpoint (a 50 x 3072 network)
// over the previous one, as a running trial does periodically.
func BenchmarkSaveCheckpoint(b *testing.B) {
	db, _ := newDB(b, Options{})
	blob := make([]byte, 8*(50*3072+50+10*50+10))
	tr := sampleTrial("running", Running)
	b.SetBytes(int64(len(blob)))
	for b.Loop() {
		if err := db.SaveCheckpoint(tr.ID, blob, tr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRankingRead is the `sweep report` path on a database of 10,000
// finished trials with histories and weights: open read-only, read every
// trial's metadata, rank by validation accuracy.
func BenchmarkRankingRead(b *testing.B) {
	const n = 10_000
	db, path := newDB(b, Options{})
	// Building 3.3 GB through FinishTrial is fsync-bound (~70 s); durability
	// does not affect what is measured, so skip the fsyncs while building.
	db.bolt.NoSync = true
	w := sampleWeights(benchM, benchD, benchK, true, 1)
	h := sampleHistory(21)
	for i := range n {
		if err := db.FinishTrial(benchTrial(i), h, w); err != nil {
			b.Fatal(err)
		}
	}
	db.Close()

	for b.Loop() {
		db, err := Open(path, Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		trials := make([]Trial, 0, n)
		err = db.ForEachTrial(func(t Trial) error {
			trials = append(trials, t)
			return nil
		})
		db.Close()
		if err != nil || len(trials) != n {
			b.Fatalf("read %d trials, %v", len(trials), err)
		}
		slices.SortFunc(trials, func(a, b Trial) int { return cmp.Compare(*b.Final.ValAccuracy, *a.Final.ValAccuracy) })
	}
}
