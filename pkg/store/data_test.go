package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSweepRoundTrip(t *testing.T) {
	db, _ := newDB(t, Options{})
	if _, err := db.Sweep(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Sweep before PutSweep: err = %v, want ErrNotFound", err)
	}
	want := Sweep{
		Name:            "mnist-cyclic",
		ConfigYAML:      []byte("name: mnist-cyclic\n# comment kept\nstages: []\n"),
		ConfigResolved:  json.RawMessage(`{"data":{"train":"/abs/train.bin"},"stages":[]}`),
		ConfigPath:      "/abs/sweep.yaml",
		DataFingerprint: "sha256:abcd",
		DataFiles:       []FileHash{{Path: "/abs/train.bin", Size: 123, SHA256: "ab12"}, {Path: "/abs/val.bin", Size: 7, SHA256: "cd34"}},
		Created:         time.Date(2025, 6, 1, 12, 0, 0, 5, time.UTC),
		Numerics:        8,
	}
	if err := db.PutSweep(want); err != nil {
		t.Fatal(err)
	}
	got, err := db.Sweep()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Sweep() = %+v\nwant %+v", got, want)
	}
}

func TestStagesOrderAndRoundTrip(t *testing.T) {
	db, _ := newDB(t, Options{})
	// 300 trials and index 300 cross the 256 boundary where a little-endian
	// key would sort wrongly.
	ids := make([]string, 300)
	reused := make([]bool, 300)
	for i := range ids {
		ids[i] = fmt.Sprintf("t%03d", 299-i) // ids in reverse lexical order
		reused[i] = i%7 == 0
	}
	stages := []Stage{
		{Name: "final", Index: 300, Spec: json.RawMessage(`{"epochs":20}`), TrialIDs: []string{"t005"}},
		{Name: "refine", Index: 2, Spec: json.RawMessage(`{"trials":8}`), Derived: json.RawMessage(`{"lambda":[0.001,0.01]}`), TrialIDs: ids, Reused: reused},
		{Name: "coarse", Index: 0, TrialIDs: []string{"b", "a"}, Reused: []bool{true, false}},
		{Name: "empty", Index: 1},
	}
	for _, st := range stages {
		if err := db.PutStage(st); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.Stages()
	if err != nil {
		t.Fatal(err)
	}
	// Stages come back in index order; nil Reused comes back as all false.
	want := []Stage{stages[2], stages[3], stages[1], stages[0]}
	want[3].Reused = []bool{false}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Stages() =\n%+v\nwant\n%+v", got, want)
	}

	// Replacing a stage replaces its whole list.
	short := Stage{Name: "refine", Index: 2, TrialIDs: []string{"x"}}
	if err := db.PutStage(short); err != nil {
		t.Fatal(err)
	}
	st, err := db.Stage("refine")
	if err != nil {
		t.Fatal(err)
	}
	short.Reused = []bool{false}
	if !reflect.DeepEqual(st, short) {
		t.Errorf("Stage(refine) after replace = %+v, want %+v", st, short)
	}

	if _, err := db.Stage("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stage(nope): err = %v, want ErrNotFound", err)
	}
	for _, bad := range []Stage{
		{Name: "coarse", Index: 5}, // name taken by stage 0
		{Name: "", Index: 5},       // no name
		{Name: "neg", Index: -1},   // no index
		{Name: "x", Index: 6, TrialIDs: []string{"a"}, Reused: []bool{}}, // flags mismatch
		{Name: "y", Index: 7, TrialIDs: []string{""}},                    // empty id
	} {
		if err := db.PutStage(bad); err == nil {
			t.Errorf("PutStage(%+v) accepted", bad)
		}
	}
}

func TestTrialRoundTrip(t *testing.T) {
	db, _ := newDB(t, Options{})
	want := sampleTrial("abc123", Running)
	want.Final = Metrics{TrainCost: f64(0.5), ValAccuracy: f64(0.42)}
	if err := db.PutTrial(want); err != nil {
		t.Fatal(err)
	}
	got, err := db.Trial("abc123")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Trial() = %+v\nwant %+v", got, want)
	}
	if _, err := db.Trial("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Trial(nope): err = %v, want ErrNotFound", err)
	}
	for _, bad := range []Trial{{Status: Pending}, {ID: "x", Status: "weird"}, {ID: "x"}} {
		if err := db.PutTrial(bad); err == nil {
			t.Errorf("PutTrial(%+v) accepted", bad)
		}
	}
}

func TestMetricsNonFinite(t *testing.T) {
	db, _ := newDB(t, Options{})
	tr := sampleTrial("div", Running)
	tr.Status, tr.DivergedStep, tr.Error = Diverged, 1234, "cost is NaN"
	tr.Final = Metrics{
		TrainCost: f64(math.NaN()), TrainLoss: f64(math.Inf(1)), TrainAccuracy: f64(0.1),
		ValCost: f64(math.Inf(-1)), ValLoss: f64(math.Copysign(0, -1)), ValAccuracy: f64(0.1),
	}
	if err := db.FinishTrial(tr, nil, nil); err != nil {
		t.Fatal(err)
	}
	got, err := db.Trial("div")
	if err != nil {
		t.Fatal(err)
	}
	pairs := []struct {
		name      string
		got, want *float64
	}{
		{"train_cost", got.Final.TrainCost, tr.Final.TrainCost},
		{"train_loss", got.Final.TrainLoss, tr.Final.TrainLoss},
		{"train_accuracy", got.Final.TrainAccuracy, tr.Final.TrainAccuracy},
		{"val_cost", got.Final.ValCost, tr.Final.ValCost},
		{"val_loss", got.Final.ValLoss, tr.Final.ValLoss},
		{"val_accuracy", got.Final.ValAccuracy, tr.Final.ValAccuracy},
		{"test_cost", got.Final.TestCost, nil},
	}
	for _, p := range pairs {
		switch {
		case (p.got == nil) != (p.want == nil):
			t.Errorf("%s: got %v, want %v", p.name, p.got, p.want)
		case p.got != nil && !(sameBits(*p.got, *p.want) || math.IsNaN(*p.got) && math.IsNaN(*p.want)):
			t.Errorf("%s: got %v, want %v", p.name, *p.got, *p.want)
		}
	}
	if got.Status != Diverged || got.DivergedStep != 1234 || got.Error != "cost is NaN" {
		t.Errorf("trial = %+v", got)
	}
}

func TestHistoryBitExactAndOrdered(t *testing.T) {
	db, _ := newDB(t, Options{})
	nanPayload := math.Float64frombits(0x7ff8_0000_dead_beef)
	history := []Record{
		{Step: 0, Epoch: 0, Eta: 1e-5, TrainCost: 2.3, TrainLoss: 2.3, TrainAccuracy: 0.1, ValCost: 2.3, ValLoss: 2.3, ValAccuracy: 0.1},
		{Step: 255, Epoch: 0.5, Eta: math.SmallestNonzeroFloat64, TrainCost: math.MaxFloat64},
		{Step: 256, Epoch: 1, TrainCost: math.NaN(), TrainLoss: nanPayload, ValCost: math.Inf(1), ValLoss: math.Inf(-1), ValAccuracy: math.Copysign(0, -1)},
		{Step: 1 << 20, Epoch: 2},
		{Step: 1 << 40, Epoch: 3, Eta: 0.1},
	}
	tr := sampleTrial("h", Running)
	tr.Status = Failed
	if err := db.FinishTrial(tr, history, nil); err != nil {
		t.Fatal(err)
	}
	got, err := db.History("h")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(history) {
		t.Fatalf("History has %d records, want %d", len(got), len(history))
	}
	for i := range history {
		if !recordBitsEqual(got[i], history[i]) {
			t.Errorf("record %d = %+v, want %+v", i, got[i], history[i])
		}
	}

	// ForEachRecord streams in step order and stops at the first error.
	stop := errors.New("stop")
	var steps []int
	err = db.ForEachRecord("h", func(r Record) error {
		steps = append(steps, r.Step)
		if len(steps) == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || !reflect.DeepEqual(steps, []int{0, 255}) {
		t.Errorf("ForEachRecord: steps %v, err %v", steps, err)
	}

	// A trial without history has none; an unknown trial is not found.
	db.PutTrial(sampleTrial("fresh", Pending))
	if h, err := db.History("fresh"); err != nil || len(h) != 0 {
		t.Errorf("History(fresh) = %v, %v", h, err)
	}
	if _, err := db.History("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("History(nope): err = %v, want ErrNotFound", err)
	}

	for name, bad := range map[string][]Record{
		"unsorted":  {{Step: 2}, {Step: 1}},
		"duplicate": {{Step: 1}, {Step: 1}},
		"negative":  {{Step: -1}},
	} {
		tr := sampleTrial("bad-"+name, Failed)
		if err := db.FinishTrial(tr, bad, nil); err == nil {
			t.Errorf("FinishTrial with %s history accepted", name)
		}
	}
}

func recordBitsEqual(a, b Record) bool {
	fa := []float64{a.Epoch, a.Eta, a.TrainCost, a.TrainLoss, a.TrainAccuracy, a.ValCost, a.ValLoss, a.ValAccuracy}
	fb := []float64{b.Epoch, b.Eta, b.TrainCost, b.TrainLoss, b.TrainAccuracy, b.ValCost, b.ValLoss, b.ValAccuracy}
	for i := range fa {
		if !sameBits(fa[i], fb[i]) {
			return false
		}
	}
	return a.Step == b.Step
}

func TestWeightsRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		w    *Weights
		ok   bool
	}{
		{"normalised", sampleWeights(50, 784, 10, true, 1), true},
		{"raw inputs", sampleWeights(3, 5, 2, false, 2), true},
		{"special values", &Weights{M: 1, D: 1, K: 1, W1: []float64{math.NaN()}, B1: []float64{math.Inf(1)}, W2: []float64{math.Copysign(0, -1)}, B2: []float64{5e-324}, Mean: []float64{1}, Std: []float64{0}}, true},
		{"zero dims", &Weights{}, false},
		{"short W1", &Weights{M: 2, D: 2, K: 1, W1: make([]float64, 3), B1: make([]float64, 2), W2: make([]float64, 2), B2: make([]float64, 1)}, false},
		{"short W2", &Weights{M: 2, D: 2, K: 2, W1: make([]float64, 4), B1: make([]float64, 2), W2: make([]float64, 2), B2: make([]float64, 2)}, false},
		{"mean without std", &Weights{M: 1, D: 2, K: 1, W1: make([]float64, 2), B1: make([]float64, 1), W2: make([]float64, 1), B2: make([]float64, 1), Mean: make([]float64, 2)}, false},
		{"mean of wrong length", &Weights{M: 1, D: 2, K: 1, W1: make([]float64, 2), B1: make([]float64, 1), W2: make([]float64, 1), B2: make([]float64, 1), Mean: make([]float64, 1), Std: make([]float64, 1)}, false},
	}
	db, _ := newDB(t, Options{})
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := fmt.Sprintf("w%d", i)
			err := db.FinishTrial(sampleTrial(id, Done), sampleHistory(3), c.w)
			if !c.ok {
				if err == nil {
					t.Fatal("accepted")
				}
				if _, err := db.Trial(id); !errors.Is(err, ErrNotFound) {
					t.Errorf("rejected trial was stored: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := db.Weights(id)
			if err != nil {
				t.Fatal(err)
			}
			if got.M != c.w.M || got.D != c.w.D || got.K != c.w.K {
				t.Fatalf("dims %d,%d,%d, want %d,%d,%d", got.M, got.D, got.K, c.w.M, c.w.D, c.w.K)
			}
			for _, p := range []struct {
				name      string
				got, want []float64
			}{{"W1", got.W1, c.w.W1}, {"b1", got.B1, c.w.B1}, {"W2", got.W2, c.w.W2}, {"b2", got.B2, c.w.B2}, {"mean", got.Mean, c.w.Mean}, {"std", got.Std, c.w.Std}} {
				if len(p.got) != len(p.want) {
					t.Fatalf("%s has %d values, want %d", p.name, len(p.got), len(p.want))
				}
				for j := range p.want {
					if !sameBits(p.got[j], p.want[j]) {
						t.Fatalf("%s[%d] = %v, want %v", p.name, j, p.got[j], p.want[j])
					}
				}
			}
		})
	}
	if _, err := db.Weights("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Weights(nope): err = %v, want ErrNotFound", err)
	}
}

func TestCheckpointThenFinish(t *testing.T) {
	db, _ := newDB(t, Options{})
	tr := sampleTrial("t", Running)
	if _, err := db.Checkpoint("t"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Checkpoint before save: err = %v, want ErrNotFound", err)
	}
	for step, blob := range []string{"first", "second"} {
		tr.Seconds = float64(step)
		if err := db.SaveCheckpoint("t", []byte(blob), tr); err != nil {
			t.Fatal(err)
		}
		got, err := db.Checkpoint("t")
		if err != nil || string(got) != blob {
			t.Fatalf("Checkpoint = %q, %v; want %q", got, err, blob)
		}
		if meta, _ := db.Trial("t"); meta.Seconds != float64(step) {
			t.Fatalf("meta not saved with checkpoint: %+v", meta)
		}
	}

	// A failed attempt keeps partial history; the successful retry replaces it.
	failed := tr
	failed.Status, failed.Error = Failed, "out of memory"
	if err := db.FinishTrial(failed, sampleHistory(5), nil); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveCheckpoint("t", []byte("third"), tr); err != nil {
		t.Fatalf("checkpoint after a failed attempt: %v", err)
	}
	done := tr
	done.Status, done.Finished, done.Final = Done, time.Date(2025, 1, 2, 4, 0, 0, 0, time.UTC), Metrics{ValAccuracy: f64(0.5)}
	history := sampleHistory(21)
	w := sampleWeights(4, 6, 3, true, 9)
	if err := db.FinishTrial(done, history, w); err != nil {
		t.Fatal(err)
	}

	if _, err := db.Checkpoint("t"); !errors.Is(err, ErrNotFound) {
		t.Errorf("checkpoint survived FinishTrial: %v", err)
	}
	if got, err := db.Trial("t"); err != nil || !reflect.DeepEqual(got, done) {
		t.Errorf("Trial = %+v, %v\nwant %+v", got, err, done)
	}
	if got, err := db.History("t"); err != nil || !reflect.DeepEqual(got, history) {
		t.Errorf("History = %d records, %v; want the 21 new ones", len(got), err)
	}
	if got, err := db.Weights("t"); err != nil || !reflect.DeepEqual(got, w) {
		t.Errorf("Weights differ, %v", err)
	}

	if err := db.FinishTrial(Trial{ID: "x", Status: Done}, nil, nil); err == nil {
		t.Error("done trial without weights accepted")
	}
	if err := db.FinishTrial(sampleTrial("x", Running), nil, nil); err == nil {
		t.Error("FinishTrial with status running accepted")
	}
	if err := db.SaveCheckpoint("x", []byte("c"), sampleTrial("y", Running)); err == nil {
		t.Error("checkpoint with metadata of another trial accepted")
	}
}

func TestFinalTrialsAreProtected(t *testing.T) {
	for _, status := range []Status{Done, Diverged} {
		t.Run(string(status), func(t *testing.T) {
			db, _ := newDB(t, Options{})
			tr := sampleTrial("t", status)
			var w *Weights
			if status == Done {
				w = sampleWeights(2, 3, 2, false, 1)
			}
			if err := db.FinishTrial(tr, sampleHistory(4), w); err != nil {
				t.Fatal(err)
			}
			before := dump(t, db)
			running := sampleTrial("t", Running)
			for name, write := range map[string]func() error{
				"PutTrial":       func() error { return db.PutTrial(running) },
				"SaveCheckpoint": func() error { return db.SaveCheckpoint("t", []byte("c"), running) },
				"FinishTrial":    func() error { return db.FinishTrial(tr, nil, w) },
				"FinishTrial as failed": func() error {
					f := tr
					f.Status = Failed
					return db.FinishTrial(f, nil, nil)
				},
			} {
				if err := write(); !errors.Is(err, ErrTrialDone) {
					t.Errorf("%s over a %s trial: err = %v, want ErrTrialDone", name, status, err)
				}
			}
			if dump(t, db) != before {
				t.Fatal("refused writes changed the database")
			}
			// Marking final only happens through FinishTrial.
			if err := db.PutTrial(sampleTrial("other", status)); err == nil {
				t.Errorf("PutTrial with status %s accepted", status)
			}

			// DeleteTrial is the explicit way to redo it.
			if err := db.DeleteTrial("t"); err != nil {
				t.Fatal(err)
			}
			for _, err := range []error{errOf(db.Trial("t")), errOf(db.Weights("t")), errOf(db.History("t"))} {
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("after DeleteTrial: err = %v, want ErrNotFound", err)
				}
			}
			if err := db.PutTrial(running); err != nil {
				t.Errorf("PutTrial after DeleteTrial: %v", err)
			}
		})
	}
}

func errOf[T any](_ T, err error) error { return err }

func TestMarkInterrupted(t *testing.T) {
	db, path := newDB(t, Options{})
	for _, tr := range []Trial{sampleTrial("p", Pending), sampleTrial("r1", Running), sampleTrial("f", Failed)} {
		if err := db.PutTrial(tr); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SaveCheckpoint("r2", []byte("ckpt"), sampleTrial("r2", Running)); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishTrial(sampleTrial("d", Done), nil, sampleWeights(1, 1, 1, false, 1)); err != nil {
		t.Fatal(err)
	}
	db.Close() // as if the process was killed mid-sweep

	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ids, err := db.MarkInterrupted()
	if err != nil || !reflect.DeepEqual(ids, []string{"r1", "r2"}) {
		t.Fatalf("MarkInterrupted = %v, %v; want [r1 r2]", ids, err)
	}
	want := map[string]Status{"p": Pending, "r1": Pending, "r2": Pending, "f": Failed, "d": Done}
	got := map[string]Status{}
	db.ForEachTrial(func(tr Trial) error {
		got[tr.ID] = tr.Status
		return nil
	})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if c, err := db.Checkpoint("r2"); err != nil || string(c) != "ckpt" {
		t.Errorf("interrupted trial lost its checkpoint: %q, %v", c, err)
	}
	if ids, err := db.MarkInterrupted(); err != nil || len(ids) != 0 {
		t.Errorf("second MarkInterrupted = %v, %v", ids, err)
	}
}

var errInjected = errors.New("injected: no space left on device")

// TestInjectedWriteFailure makes each write fail once, then checks that
// nothing changed, even after reopening, and that the retry succeeds.
func TestInjectedWriteFailure(t *testing.T) {
	w := sampleWeights(5, 7, 3, true, 3)
	cases := []struct {
		op    string
		write func(db *DB) error
		check func(t *testing.T, db *DB)
	}{
		{"finish_trial", func(db *DB) error {
			tr := sampleTrial("run", Done)
			return db.FinishTrial(tr, sampleHistory(21), w)
		}, func(t *testing.T, db *DB) {
			if tr, err := db.Trial("run"); err != nil || tr.Status != Done {
				t.Errorf("trial = %+v, %v", tr, err)
			}
			if _, err := db.Weights("run"); err != nil {
				t.Error(err)
			}
			if _, err := db.Checkpoint("run"); !errors.Is(err, ErrNotFound) {
				t.Errorf("checkpoint kept: %v", err)
			}
		}},
		{"save_checkpoint", func(db *DB) error {
			return db.SaveCheckpoint("run", []byte("new checkpoint"), sampleTrial("run", Running))
		}, func(t *testing.T, db *DB) {
			if c, err := db.Checkpoint("run"); err != nil || string(c) != "new checkpoint" {
				t.Errorf("checkpoint = %q, %v", c, err)
			}
		}},
		{"put_trial", func(db *DB) error { return db.PutTrial(sampleTrial("new", Pending)) }, nil},
		{"put_stage", func(db *DB) error { return db.PutStage(Stage{Name: "refine", Index: 1, TrialIDs: []string{"new"}}) }, nil},
		{"put_sweep", func(db *DB) error { return db.PutSweep(Sweep{Name: "renamed"}) }, nil},
		{"delete_trial", func(db *DB) error { return db.DeleteTrial("old") }, nil},
		{"mark_interrupted", func(db *DB) error { _, err := db.MarkInterrupted(); return err }, nil},
	}
	for _, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			fail := false
			db, path := newFaultyDB(t, func(op string) error {
				if fail && op == c.op {
					return errInjected
				}
				return nil
			})
			// Earlier progress that must survive the failure.
			must(t, db.PutSweep(Sweep{Name: "s", ConfigYAML: []byte("a: 1\n")}))
			must(t, db.PutStage(Stage{Name: "coarse", Index: 0, TrialIDs: []string{"old", "run"}}))
			must(t, db.FinishTrial(sampleTrial("old", Done), sampleHistory(21), w))
			must(t, db.SaveCheckpoint("run", []byte("old checkpoint"), sampleTrial("run", Running)))
			before := dump(t, db)

			fail = true
			err := c.write(db)
			if !errors.Is(err, errInjected) || !strings.HasPrefix(err.Error(), "store: ") {
				t.Fatalf("err = %v, want the injected error", err)
			}
			if dump(t, db) != before {
				t.Fatal("failed write changed the database")
			}
			db.Close()
			fail = false

			db, err = Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if dump(t, db) != before {
				t.Fatal("reopened database differs from before the failed write")
			}
			if err := c.write(db); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if dump(t, db) == before {
				t.Fatal("retry changed nothing")
			}
			if c.check != nil {
				c.check(t, db)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
