package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/pkg/store"
)

// report10kVersion names the cached benchmark database; change it whenever
// what report10kDB writes (or the store's schema) changes.
const report10kVersion = "v1"

// report10kPath is where BenchmarkReport10k keeps its database between runs
// (about 3.3 GB). bench/run_sweep_benches.sh times the real CLI on it.
func report10kPath() string {
	return filepath.Join(os.TempDir(), "sweep-bench-report10k-"+report10kVersion+".db")
}

// report10kDB returns the path of a sweep database of 10,000 finished
// trials as `sweep run` leaves it, building it on first use: a sweep record
// with its config, one random stage listing every trial, and per trial its
// metadata with full training settings, a 21-point history and the weights
// of a d=784, m=50, K=10 network with normalisation statistics. About 1% of
// the trials diverged (NaN in their last record, no weights) and 0.5%
// failed (no history, no weights), as in a real sweep.
func report10kDB(b *testing.B) string {
	const n, d, m, k, records = 10_000, 784, 50, 10, 21
	path := report10kPath()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	start := time.Now()
	tmp := path + ".building"
	os.Remove(tmp)
	db, err := store.Open(tmp, store.Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	must := func(err error) {
		b.Helper()
		if err != nil {
			db.Close()
			os.Remove(tmp)
			b.Fatal(err)
		}
	}
	must(db.PutSweep(store.Sweep{
		Name: "bench10k",
		ConfigYAML: []byte("name: bench10k\nsearch:\n  stages:\n    - name: wide\n      sampler: random\n      trials: 10000\n" +
			"      space:\n        lambda: {loguniform: [1e-5, 1e-1]}\n        eta_max: {loguniform: [1e-2, 5e-1]}\n"),
		ConfigResolved:  json.RawMessage(`{"name":"bench10k","seed":1,"data":{"source":"idx","dir":"/data/fmnist","validation":{"holdout":5000}}}`),
		ConfigPath:      "/home/user/bench10k.yaml",
		DataFingerprint: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		DataFiles:       []store.FileHash{{Path: "/data/fmnist/train-images-idx3-ubyte.gz", Size: 26421880, SHA256: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"}},
		Created:         time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC),
	}))
	rng := rand.New(rand.NewPCG(10_000, 1))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%016x%08x", rng.Uint64(), rng.Uint32()) // like search.TrialID
	}
	must(db.PutStage(store.Stage{Name: "wide", Index: 0,
		Spec:     []byte(`{"name":"wide","sampler":"random","trials":10000,"seeds":1,"space":{"lambda":{"loguniform":[1e-5,1e-1]},"eta_max":{"loguniform":[0.01,0.5]}}}`),
		Derived:  []byte(`{}`),
		TrialIDs: ids}))
	fill := func(s []float64) []float64 {
		for i := range s {
			s[i] = rng.NormFloat64()
		}
		return s
	}
	w := &store.Weights{M: m, D: d, K: k, W1: fill(make([]float64, m*d)), B1: fill(make([]float64, m)),
		W2: fill(make([]float64, k*m)), B2: make([]float64, k), Mean: make([]float64, d), Std: make([]float64, d)}
	for j := range d {
		w.Mean[j], w.Std[j] = 72.9+rng.Float64(), 90.0+rng.Float64()
	}
	hist := make([]store.Record, records)
	created := time.Date(2026, 11, 25, 8, 0, 1, 0, time.UTC)
	for i, id := range ids {
		lambda, etaMax := math.Pow(10, -5+4*rng.Float64()), math.Pow(10, -2+1.7*rng.Float64())
		settings, _ := json.Marshal(map[string]any{"hidden": m, "batch_size": 100, "eta_min": 1e-5, "eta_max": etaMax,
			"step_size": "2 epochs", "cycles": 2, "lambda": lambda, "records_per_cycle": 10, "schedule": "triangular",
			"gamma": 0.99994, "shuffle": false, "precision": "float32", "seed": 1})
		secs := 4 + rng.Float64()
		tr := store.Trial{ID: id, Stage: "wide", Index: i, Params: map[string]float64{"lambda": lambda, "eta_max": etaMax},
			Config: settings, Status: store.Done, Seed: 1, Kernel: "avx512", Precision: "float32",
			Seconds: secs, WallSeconds: secs + 0.3, Started: created.Add(time.Duration(i) * time.Second),
			Finished: created.Add(time.Duration(i)*time.Second + 4*time.Second), Attempts: 1}
		acc := 0.88 - 0.1*rng.Float64()
		for r := range hist {
			x := float64(r) / (records - 1)
			hist[r] = store.Record{Step: 220 * r, Epoch: 8 * x, Eta: 1e-5 + etaMax*math.Abs(math.Sin(math.Pi*x)),
				TrainCost: 2.3 - 1.9*x, TrainLoss: 2.3 - 2*x, TrainAccuracy: 0.1 + (acc+0.03-0.1)*x,
				ValCost: 2.3 - 1.8*x, ValLoss: 2.3 - 1.9*x, ValAccuracy: 0.1 + (acc-0.1)*x}
		}
		last := hist[records-1]
		var weights *store.Weights
		switch {
		case i%200 == 199: // failed: retried by the next run, nothing kept
			tr.Status, tr.Error = store.Failed, "train: injected failure for the benchmark"
			must(db.FinishTrial(tr, nil, nil))
			continue
		case i%100 == 42: // diverged at step 300, history up to it
			tr.Status, tr.DivergedStep, tr.Error = store.Diverged, 300, "train: diverged at step 300: cost is NaN"
			h := hist[:2]
			h[1].TrainCost, h[1].ValCost = math.NaN(), math.NaN()
			must(db.FinishTrial(tr, h, nil))
			continue
		}
		tr.Final = store.Metrics{TrainCost: &last.TrainCost, TrainLoss: &last.TrainLoss, TrainAccuracy: &last.TrainAccuracy,
			ValCost: &last.ValCost, ValLoss: &last.ValLoss, ValAccuracy: &last.ValAccuracy,
			TestCost: &last.ValCost, TestLoss: &last.ValLoss, TestAccuracy: &acc}
		w.B2 = fill(w.B2) // every trial's weights differ
		weights = w
		must(db.FinishTrial(tr, hist, weights))
	}
	must(db.Close())
	must(os.Rename(tmp, path))
	b.Logf("built %s in %v", path, time.Since(start).Round(time.Second))
	return path
}

// BenchmarkReport10k is `sweep report` on a database of 10,000 finished
// trials (target: under 1 s): open it read-only, rank, summarise and write
// the table, or rank and write JSON. The database is built once and cached
// under os.TempDir() (see report10kPath); the first run takes about 75 s.
func BenchmarkReport10k(b *testing.B) {
	path := report10kDB(b)
	write := map[string]func(db *store.DB, w io.Writer) error{
		"table": func(db *store.DB, w io.Writer) error {
			rows, err := Rank(b.Context(), db, Selection{})
			if err != nil {
				return err
			}
			sum, err := Summarize(b.Context(), db)
			if err != nil {
				return err
			}
			if err := WriteHeader(w, sum); err != nil {
				return err
			}
			return WriteTable(w, rows)
		},
		"json": func(db *store.DB, w io.Writer) error {
			rows, err := Rank(b.Context(), db, Selection{})
			if err != nil {
				return err
			}
			return WriteJSON(w, rows)
		},
	}
	for _, form := range []string{"table", "json"} {
		b.Run(form, func(b *testing.B) {
			for b.Loop() {
				db, err := store.Open(path, store.Options{ReadOnly: true})
				if err != nil {
					b.Fatal(err)
				}
				err = write[form](db, io.Discard)
				db.Close()
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
