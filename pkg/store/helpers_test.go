package store

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sweep-ml/sweep/internal/storefault"
)

func f64(v float64) *float64 { return &v }

// newDB creates a sweep database in a fresh temp dir and closes it at the end.
func newDB(tb testing.TB, opts Options) (*DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "sweep.db")
	opts.Create = true
	db, err := Open(path, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, path
}

// newFaultyDB is newDB with every write transaction going through fail
// before it commits, also after the test reopens the file.
func newFaultyDB(tb testing.TB, fail storefault.Hook) (*DB, string) {
	tb.Helper()
	path := faultyPath(tb, fail)
	db, err := Open(path, Options{Create: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, path
}

// faultyPath is a path in a fresh temp dir whose databases' write
// transactions go through fail before they commit.
func faultyPath(tb testing.TB, fail storefault.Hook) string {
	path := filepath.Join(tb.TempDir(), "sweep.db")
	tb.Cleanup(storefault.Set(path, fail))
	return path
}

func sampleTrial(id string, status Status) Trial {
	return Trial{
		ID: id, Stage: "coarse", Index: 3,
		Params:    map[string]float64{"lambda": 1e-3, "eta_max": 0.1},
		Config:    []byte(`{"m":50,"batch":100}`),
		Status:    status,
		Seed:      42,
		SeedIndex: 1, Kernel: "gonum", Precision: "float64",
		Seconds: 12.5, WallSeconds: 13.25,
		Started:  time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC),
		Attempts: 1,
	}
}

func sampleWeights(m, d, k int, normalised bool, seed uint64) *Weights {
	r := rand.New(rand.NewPCG(seed, 1))
	fill := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = r.NormFloat64()
		}
		return s
	}
	w := &Weights{M: m, D: d, K: k, W1: fill(m * d), B1: fill(m), W2: fill(k * m), B2: fill(k)}
	if normalised {
		w.Mean, w.Std = fill(d), fill(d)
	}
	return w
}

func sampleHistory(n int) []Record {
	h := make([]Record, n)
	for i := range h {
		x := float64(i)
		h[i] = Record{Step: 100 * i, Epoch: x / 2, Eta: 0.01 * x, TrainCost: 2 - x/n2(n), TrainLoss: 1.9 - x/n2(n),
			TrainAccuracy: x / n2(n), ValCost: 2.1, ValLoss: 2, ValAccuracy: 0.3 + x/n2(n)/2}
	}
	return h
}

func n2(n int) float64 { return float64(2 * n) }

// dump renders every bucket and key of the database, so tests can assert
// that nothing at all changed.
func dump(tb testing.TB, db *DB) string {
	tb.Helper()
	var sb strings.Builder
	var walk func(prefix string, b *bolt.Bucket)
	walk = func(prefix string, b *bolt.Bucket) {
		b.ForEach(func(k, v []byte) error {
			if v == nil {
				walk(prefix+hex.EncodeToString(k)+"/", b.Bucket(k))
			} else {
				fmt.Fprintf(&sb, "%s%x = %x\n", prefix, k, v)
			}
			return nil
		})
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			walk(string(name)+"/", b)
			return nil
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return sb.String()
}

func sameBits(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
