package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/train"
)

// fuzzTrain is the training split the fuzz target validates against, the
// size of Fashion-MNIST's with the default holdout.
const fuzzTrain = 55000

// fuzzData is a data set of fuzzTrain CIFAR-shaped examples, for the fit
// checks (only its shape is read).
var fuzzData = &train.Dataset{D: 3072, K: 10, TrainY: make([]uint8, fuzzTrain)}

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("../../configs/*.yaml")
	broken, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range append(seeds, broken...) {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	// The config that passed validation and then panicked.
	f.Add("training: {cycles: 10000, step_size: 1099511627776, records_per_cycle: 1099511627776}\n")
	f.Add("training: {cycles: 10000}\nsearch: {stages: [{name: a, halving: {min_cycles: 1, eta: 10000}}]}\n")
	f.Add("search: {stages: [{name: t, sampler: tpe, trials: 10000, tpe: {startup: 10000, batch: 10000}, space: {lambda: {log10: [-5, -1]}}}]}\n")
	f.Add("search: {stages: [{name: t, sampler: tpe, tpe: {}, trials: 3, space: {lambda: {log10: [-5, -1]}}}, {name: u, sampler: tpe, tpe: null, trials: 2}]}\n")
	f.Add("search: {stages: [{name: r, lr_range: {min: 1e-300, max: 1e300, epochs: 2147483648}, training: {batch_size: 1}}]}\n")
	f.Fuzz(func(t *testing.T, src string) {
		c, err := Parse(strings.NewReader(src), ParseOptions{File: "f.yaml", BaseDir: "/cfg"})
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			return
		}
		if _, err := c.Resolved(); err != nil {
			t.Errorf("valid config does not resolve: %v", err)
		}
		for i := range c.Search.Stages {
			st := &c.Search.Stages[i]
			spec, err := EncodeStage(st)
			if err != nil {
				t.Fatalf("stage %s: %v", st.Name, err)
			}
			back, err := DecodeStage(spec)
			if err != nil {
				t.Fatalf("stage %s: %s does not decode: %v", st.Name, spec, err)
			}
			if again, _ := EncodeStage(&back); !bytes.Equal(again, spec) {
				t.Fatalf("stage spec %s re-encodes as %s", spec, again)
			}
			// What validation lets through must be safe to train on a
			// data set of realistic size: bounded updates and records.
			tc, err := c.TrainConfig(st, nil)
			if st.LRRange != nil {
				tc, err = c.RangeConfig(st, fuzzTrain)
			}
			if err != nil {
				t.Fatalf("stage %s validated but has no training config: %v", st.Name, err)
			}
			if c.CheckFit(st, tc, fuzzData) != nil {
				continue
			}
			if n := tc.TotalSteps(fuzzTrain); n > train.MaxUpdates || n < 0 {
				t.Fatalf("stage %s fits with %d updates", st.Name, n)
			}
			if n := 1 + tc.Cycles*tc.RecordsPerCycle; n > train.MaxRecords {
				t.Fatalf("stage %s fits with %d recorded points", st.Name, n)
			}
			if b := tc.TrialBytes(fuzzData.D, fuzzData.K, fuzzTrain); b > train.MaxTrialBytes {
				t.Fatalf("stage %s fits with %.0f bytes per trial", st.Name, b)
			}
			checkTrialRoundTrip(t, tc)
			if tp := st.TPE; (tp != nil) != (st.Sampler == TPESampler) ||
				tp != nil && (tp.Startup < 1 || tp.Startup > st.Trials || st.Trials > MaxTPETrials || tp.Batch < 1 || tp.Batch > MaxTPETrials) {
				t.Fatalf("stage %s: sampler %s with tpe options %+v over %d trials validated", st.Name, st.Sampler, tp, st.Trials)
			}
			if h := st.Halving; h != nil {
				rungs := h.Rungs(tc.Cycles)
				if len(rungs) < 2 || len(rungs) > 15 || rungs[len(rungs)-1] != tc.Cycles || !slices.IsSorted(rungs) {
					t.Fatalf("stage %s: halving %+v over %d cycles gives rungs %v", st.Name, *h, tc.Cycles, rungs)
				}
			}
		}
	})
}

// FuzzDecodeDerived: stored derived values decode or fail with ErrEncoding,
// never panic, and what decodes encodes to bytes that re-encode the same.
func FuzzDecodeDerived(f *testing.F) {
	f.Add([]byte(`{"proposed":[{"lambda":0.25,"hidden":0.5}]}`))
	f.Add([]byte(`{"ranges":{"lambda":[-4,-2]},"from":["a"],"rates":{"eta_min":1e-5,"eta_max":0.1}}`))
	f.Add([]byte(`{"proposed":[{"lambda":1}]}`))
	f.Add([]byte(`{"proposed":[{"lambda":0.1},{"lambda":0.2},{"lambda":0.3}],"rounds":[2,1],"startup":4}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDerived(b)
		if err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("%q: %v is no ErrEncoding", b, err)
			}
			return
		}
		for _, p := range d.Proposed {
			for name, x := range p {
				if !(x >= 0 && x < 1) {
					t.Fatalf("%q: decoded a proposed %s of %v", b, name, x)
				}
			}
		}
		// Every proposal is in exactly one round, of at least one point.
		sum := 0
		for _, n := range d.TPERoundSizes(3) {
			if n < 1 {
				t.Fatalf("%q: decoded a round of %d points", b, n)
			}
			sum += n
		}
		if sum != len(d.Proposed) {
			t.Fatalf("%q: rounds of %d points for %d proposals", b, sum, len(d.Proposed))
		}
		again, err := EncodeDerived(d)
		if err != nil {
			t.Fatalf("%q decodes but does not encode: %v", b, err)
		}
		back, err := DecodeDerived(again)
		if err != nil {
			t.Fatalf("%s does not decode: %v", again, err)
		}
		if third, _ := EncodeDerived(back); !bytes.Equal(third, again) {
			t.Fatalf("%s re-encodes as %s", again, third)
		}
	})
}

// checkTrialRoundTrip checks that a trial's encoding decodes to the same
// settings and re-encodes to the same bytes.
func checkTrialRoundTrip(t *testing.T, tc train.Config) {
	t.Helper()
	tr := Trial{Settings: tc, Data: "fp", Numerics: train.AlgorithmVersion}
	b, err := EncodeTrial(tr)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeTrial(b)
	if err != nil {
		t.Fatalf("%s does not decode: %v", b, err)
	}
	if back != tr {
		t.Fatalf("%s decodes to %+v, want %+v", b, back, tr)
	}
	again, err := EncodeTrial(back)
	if err != nil || !bytes.Equal(again, b) {
		t.Fatalf("%s re-encodes as %s (%v)", b, again, err)
	}
}

func FuzzDecodeTrial(f *testing.F) {
	good, _ := EncodeTrial(Trial{Settings: train.DefaultConfig(), Data: "abc", Numerics: train.AlgorithmVersion})
	f.Add(good)
	f.Add([]byte(`{"algorithm_version":8,"data":"x","training":{"hidden":1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := DecodeTrial(b)
		if err != nil {
			return
		}
		// Only canonical bytes decode, so they are what Encode writes.
		again, err := EncodeTrial(tr)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("%s decodes but re-encodes as %s (%v)", b, again, err)
		}
	})
}
