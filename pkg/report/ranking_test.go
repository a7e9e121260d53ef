package report

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/pkg/store"
)

// update rewrites the golden files: go test ./pkg/report -update. Another
// test file of the package may define the flag too.
var update = func() *bool {
	if f := flag.Lookup("update"); f != nil {
		return f.Value.(flag.Getter).Get().(*bool)
	}
	return flag.Bool("update", false, "rewrite golden files")
}()

func f64(v float64) *float64 { return &v }

// fixture describes one trial of the fixed database.
type fixture struct {
	id, stage string
	index     int
	status    store.Status
	params    map[string]float64
	seedIndex int
	valAcc    *float64
	valCost   float64
	valLoss   float64
	trainAcc  float64
	testAcc   *float64
	seconds   float64
	err       string
	diverged  int
}

var fixtures = []fixture{
	{"c1aaaaaaaaaaaaaaaaaaaaaa", "coarse", 0, store.Done, map[string]float64{"lambda": 1e-5}, 0, f64(0.80), 0.61, 0.60, 0.83, f64(0.79), 10.25, "", 0},
	{"c2bbbbbbbbbbbbbbbbbbbbbb", "coarse", 1, store.Done, map[string]float64{"lambda": 1e-4}, 0, f64(0.85), 0.52, 0.50, 0.88, f64(0.84), 11.5, "", 0},
	{"c3cccccccccccccccccccccc", "coarse", 2, store.Diverged, map[string]float64{"lambda": 1e-1}, 0, f64(0.10), math.NaN(), math.NaN(), 0.1, nil, 3, "", 40},
	{"c4dddddddddddddddddddddd", "coarse", 3, store.Failed, map[string]float64{"lambda": 1e-3}, 0, nil, 0, 0, 0, nil, 0, "train: out of memory,\nretry", 0},
	{"f1eeeeeeeeeeeeeeeeeeeeee", "fine", 0, store.Done, map[string]float64{"lambda": 3e-4}, 0, f64(0.86), 0.45, 0.44, 0.90, f64(0.85), 10, "", 0},
	{"f1ffffffffffffffffffffff", "fine", 1, store.Done, map[string]float64{"lambda": 3e-4}, 1, f64(0.84), 0.47, 0.46, 0.89, f64(0.83), 14, "", 0},
	{"f2gggggggggggggggggggggg", "fine", 2, store.Done, map[string]float64{"lambda": 1e-3}, 0, f64(0.85), 0.50, math.NaN(), 0.87, nil, 12, "", 0},
	{"t1hhhhhhhhhhhhhhhhhhhhhh", "final", 0, store.Done, map[string]float64{"lambda": 3e-4, "hidden": 100}, 0, f64(0.87), 0.40, 0.39, 0.93, f64(0.86), 30.75, "", 0},
}

// fixedDB builds a small database through the store API: three stages, a
// diverged and a failed trial, a NaN metric, a trial without test
// accuracy, a reused trial, two seeds of one configuration and a final
// stage with its own data section (ranked on its own).
func fixedDB(t testing.TB) *store.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fixed.db")
	db, err := store.Open(path, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.PutSweep(store.Sweep{Name: "golden", DataFingerprint: "0123456789abcdef0123456789abcdef"}))
	must(db.PutStage(store.Stage{Name: "coarse", Index: 0,
		Spec:     []byte(`{"name":"coarse","sampler":"grid","trials":4,"seeds":1,"space":{"lambda":{"log10":[-5,-1]}}}`),
		Derived:  []byte(`{}`),
		TrialIDs: []string{fixtures[0].id, fixtures[1].id, fixtures[2].id, fixtures[3].id}}))
	must(db.PutStage(store.Stage{Name: "fine", Index: 1,
		Spec:     []byte(`{"name":"fine","after":"coarse","sampler":"random","trials":2,"seeds":2,"space":{"lambda":{"log10":"refine"}},"refine":{"top":3,"margin":0.25}}`),
		Derived:  []byte(`{"ranges":{"lambda":[-4.25,-2.75]},"from":["c2bbbbbbbbbbbbbbbbbbbbbb","c1aaaaaaaaaaaaaaaaaaaaaa","c3cccccccccccccccccccccc"]}`),
		TrialIDs: []string{fixtures[4].id, fixtures[5].id, fixtures[6].id}}))
	must(db.PutStage(store.Stage{Name: "final", Index: 2,
		Spec:     []byte(`{"name":"final","after":"fine","best":1,"seeds":1,"data":{"validation":{"holdout":1000}}}`),
		Derived:  []byte(`{"sources":["f1eeeeeeeeeeeeeeeeeeeeee"]}`),
		TrialIDs: []string{fixtures[7].id, fixtures[1].id}, Reused: []bool{false, true}}))
	start := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	for i, f := range fixtures {
		tr := store.Trial{ID: f.id, Stage: f.stage, Index: f.index, Params: f.params, Status: f.status,
			Config: []byte(`{"hidden":8}`), Seed: uint64(100 + i), SeedIndex: f.seedIndex, Error: f.err, DivergedStep: f.diverged,
			Kernel: "go", Precision: "float64", Seconds: f.seconds, WallSeconds: f.seconds + 0.5,
			Started: start, Finished: start.Add(time.Duration(f.seconds * float64(time.Second))), Attempts: 1}
		if f.valAcc != nil {
			tr.Final = store.Metrics{ValAccuracy: f.valAcc, ValCost: f64(f.valCost), ValLoss: f64(f.valLoss),
				TrainAccuracy: f64(f.trainAcc), TrainCost: f64(f.valCost - 0.1), TrainLoss: f64(f.valLoss - 0.1), TestAccuracy: f.testAcc}
		}
		var hist []store.Record
		for s := range 3 {
			hist = append(hist, store.Record{Step: 10 * s, Epoch: 0.5 * float64(s), Eta: 1e-3 * float64(s+1),
				TrainCost: 2 - 0.5*float64(s), TrainLoss: 1.9 - 0.5*float64(s), TrainAccuracy: 0.3 * float64(s),
				ValCost: 2.1 - 0.5*float64(s), ValLoss: 2 - 0.5*float64(s), ValAccuracy: 0.25 * float64(s)})
		}
		if f.status == store.Diverged {
			hist[2].ValCost, hist[2].TrainCost = math.NaN(), math.Inf(1)
		}
		var w *store.Weights
		if f.status == store.Done {
			w = tinyWeights(i)
		}
		if f.status == store.Failed {
			must(db.FinishTrial(tr, nil, nil)) // as the runner stores a failure
			continue
		}
		must(db.FinishTrial(tr, hist, w))
	}
	must(db.Close())
	db, err = store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// tinyWeights is a d=4, m=2, K=3 network with distinct values.
func tinyWeights(seed int) *store.Weights {
	w := &store.Weights{M: 2, D: 4, K: 3}
	v := float64(seed)
	next := func(n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			v += 0.25
			out[i] = v
		}
		return out
	}
	w.W1, w.B1, w.W2, w.B2, w.Mean, w.Std = next(8), next(2), next(6), next(3), next(4), next(4)
	return w
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestRankingGolden(t *testing.T) {
	db := fixedDB(t)
	sum, err := Summarize(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		sel  Selection
	}{
		{"all", Selection{}},
		{"grouped", Selection{GroupSeeds: true}},
		{"final", Selection{Stage: "final"}},
		{"sort-lambda-top3", Selection{Sort: "lambda", Top: 3}},
		{"diverged", Selection{Status: store.Diverged}},
	} {
		rows, err := Rank(t.Context(), db, tc.sel)
		if err != nil {
			t.Fatal(err)
		}
		writers := map[string]func(*bytes.Buffer) error{
			"table": func(b *bytes.Buffer) error {
				if err := WriteHeader(b, sum); err != nil {
					return err
				}
				return WriteTable(b, rows)
			},
			"md":   func(b *bytes.Buffer) error { return WriteMarkdown(b, sum, rows) },
			"csv":  func(b *bytes.Buffer) error { return WriteCSV(b, rows) },
			"json": func(b *bytes.Buffer) error { return WriteJSON(b, rows) },
		}
		for ext, write := range writers {
			var b bytes.Buffer
			if err := write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+"."+ext, b.Bytes())
		}
	}
}

func TestSortOrder(t *testing.T) {
	db := fixedDB(t)
	for _, tc := range []struct {
		key  string
		want []string // id prefixes, in order
	}{
		// Best first (f2 before c2: same accuracy, lower cost); the reused
		// c2 is listed once, under its own stage, without --stage. The
		// final stage has its own data section, so t1 is ranked apart,
		// after the others, whatever the key.
		{"", []string{"f1e", "f2", "c2", "f1f", "c1", "c3", "c4", "t1"}},
		// Descending, NaN/missing last, ties in ranking order.
		{"test_accuracy", []string{"f1e", "c2", "f1f", "c1", "f2", "c3", "c4", "t1"}},
		// Ascending; c3's NaN cost and c4's missing one last.
		{"val_cost", []string{"f1e", "f1f", "f2", "c2", "c1", "c3", "c4", "t1"}},
		{"seconds", []string{"c4", "c3", "f1e", "c1", "c2", "f2", "f1f", "t1"}},
		{"hidden", []string{"f1e", "f2", "c2", "f1f", "c1", "c3", "c4", "t1"}},
	} {
		rows, err := Rank(t.Context(), db, Selection{Sort: tc.key})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			if !strings.HasPrefix(r.ID, tc.want[i]) {
				t.Errorf("sort %q: position %d is %s, want %s...", tc.key, i+1, r.ID, tc.want[i])
			}
		}
	}
	_, err := Rank(t.Context(), db, Selection{Sort: "nope"})
	if !errors.Is(err, ErrSortKey) || !strings.Contains(err.Error(), "val_accuracy, val_cost") || !strings.Contains(err.Error(), "hidden") {
		t.Errorf("unknown key: %v, want ErrSortKey listing metrics and parameters", err)
	}
}

func TestGroupSeeds(t *testing.T) {
	db := fixedDB(t)
	rows, err := Rank(t.Context(), db, Selection{Stage: "fine", GroupSeeds: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2 (the two seeds of lambda 3e-4 merged)", len(rows))
	}
	g := rows[0]
	if g.Seeds == nil || len(g.Seeds.IDs) != 2 || g.Seeds.Done != 2 || g.ID != "f1eeeeeeeeeeeeeeeeeeeeee" {
		t.Fatalf("group = %+v, want seeds f1e.., f1f.., both done", g.Seeds)
	}
	// By hand: val acc 0.86, 0.84 -> mean 0.85, sample sd sqrt(2*0.01^2/1);
	// seconds 10, 14 -> 12, sd sqrt(2*2^2/1); val cost 0.45, 0.47.
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"val acc mean", *g.Final.ValAccuracy, 0.85},
		{"val acc sd", g.Seeds.Std["val_accuracy"], 0.014142135623730951},
		{"val cost mean", *g.Final.ValCost, 0.46},
		{"val cost sd", g.Seeds.Std["val_cost"], 0.014142135623730951},
		{"test acc mean", *g.Final.TestAccuracy, 0.84},
		{"seconds mean", g.Seconds, 12},
		{"seconds sd", g.Seeds.Std["seconds"], 2.8284271247461903},
	} {
		if math.Abs(c.got-c.want) > 1e-15 {
			t.Errorf("%s = %.17g, want %.17g", c.name, c.got, c.want)
		}
	}
	single := rows[1]
	if len(single.Seeds.IDs) != 1 || !math.IsNaN(single.Seeds.Std["val_accuracy"]) || *single.Final.ValAccuracy != 0.85 {
		t.Errorf("single seed: %+v, %v; want its own value and a NaN sd", single.Seeds, *single.Final.ValAccuracy)
	}
}
