package train

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func rangeConfig() Config {
	c := smallConfig()
	c.Schedule, c.EtaMin, c.EtaMax = LRRange, 1e-5, 1
	c.StepSize, c.Cycles, c.RecordsPerCycle = StepSize{Updates: 40}, 1, 8
	return c
}

// The range test's rate starts at eta_min, ends at eta_max exactly, never
// falls and stays within the range, for spans from a hair to 10 decades.
func TestRangeEtaEndsAndMonotone(t *testing.T) {
	for _, span := range [][2]float64{{1e-5, 1}, {1e-8, 100}, {0.1, 0.1000001}, {3e-3, 7e-3}} {
		c := Config{Schedule: LRRange, EtaMin: span[0], EtaMax: span[1], Cycles: 1}
		for _, ns := range []int{1, 2, 7, 1000, 60000} {
			if got := Eta(c, ns, 0); got != c.EtaMin {
				t.Fatalf("%v ns=%d: first rate %g, want %g", span, ns, got, c.EtaMin)
			}
			if got := Eta(c, ns, ns); got != c.EtaMax {
				t.Fatalf("%v ns=%d: last rate %g, want %g", span, ns, got, c.EtaMax)
			}
			prev := c.EtaMin
			for step := 1; step <= ns; step++ {
				e := Eta(c, ns, step)
				if e < prev || e > c.EtaMax {
					t.Fatalf("%v ns=%d: Eta(%d) = %.17g after %.17g (max %g)", span, ns, step, e, prev, c.EtaMax)
				}
				prev = e
			}
		}
	}
	// Log-linear: the midpoint is the geometric mean.
	c := Config{Schedule: LRRange, EtaMin: 1e-5, EtaMax: 1e-1, Cycles: 1}
	if got := Eta(c, 1000, 500); math.Abs(got-1e-3)/1e-3 > 1e-14 {
		t.Errorf("Eta at the middle = %.17g, want 1e-3", got)
	}
}

// The rates are the package's own arithmetic, so their bits are the same
// on every CPU: testdata/lr-range.golden holds them (go test -update).
func TestRangeEtaGolden(t *testing.T) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# go test ./pkg/train -run RangeEtaGolden -update rewrites this file\n")
	c := Config{Schedule: LRRange, EtaMin: 1e-5, EtaMax: 1, Cycles: 3}
	for _, step := range []int{0, 1, 2, 3, 17, 100, 333, 500, 999, 1234, 2000, 2999, 3000} {
		e := Eta(c, 1000, step)
		fmt.Fprintf(&b, "%d %016x %.17g\n", step, math.Float64bits(e), e)
	}
	path := filepath.Join("testdata", "lr-range.golden")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("rates differ from %s:\n%s", path, b.String())
	}
}

// A range test is one rise over cycles × step_size updates, recorded at
// evenly spaced steps, each record carrying the rise's rate at its step.
func TestRangeTrainingRecordsTheRise(t *testing.T) {
	ds := syntheticDataset(t, 200, 9, 3, 21)
	cfg := rangeConfig()
	cfg.EtaMax = 0.5
	if got := cfg.TotalSteps(ds.NTrain()); got != 40 {
		t.Fatalf("TotalSteps = %d, want 40", got)
	}
	res := mustTrain(t, cfg, ds, Options{})
	if res.Steps != 40 || len(res.History) != 9 {
		t.Fatalf("%d steps and %d records, want 40 and 9", res.Steps, len(res.History))
	}
	for j, r := range res.History {
		if r.Step != 5*j || r.Eta != Eta(cfg, 40, r.Step) {
			t.Errorf("record %d at step %d with rate %g, want step %d", j, r.Step, r.Eta, 5*j)
		}
	}
	if res.History[0].Eta != cfg.EtaMin || res.History[8].Eta != cfg.EtaMax {
		t.Errorf("rates run %g..%g, want %g..%g", res.History[0].Eta, res.History[8].Eta, cfg.EtaMin, cfg.EtaMax)
	}
	// Interrupted anywhere, it resumes to the same bits.
	var cks []*Checkpoint
	mustTrain(t, cfg, ds, Options{CheckpointEvery: 9, OnCheckpoint: func(c *Checkpoint) error { cks = append(cks, c); return nil }})
	for _, ck := range cks {
		if !sameBits(res, mustTrain(t, cfg, ds, Options{Resume: ck})) {
			t.Fatalf("resumed from step %d: result differs", ck.Step)
		}
	}
}

// Rising to an absurd rate diverges: the history up to the divergence is
// the range test's result and must come back whole.
func TestRangeDivergenceKeepsHistory(t *testing.T) {
	ds := syntheticDataset(t, 200, 9, 3, 22)
	cfg := rangeConfig()
	cfg.EtaMax = 1e6
	_, err := Train(t.Context(), cfg, ds, Options{})
	var div *DivergedError
	if !errors.As(err, &div) {
		t.Fatalf("err = %v, want a DivergedError", err)
	}
	if len(div.History) < 2 || div.History[0].Step != 0 {
		t.Fatalf("diverged at step %d with %d records, want the records before it", div.Step, len(div.History))
	}
	for _, r := range div.History[:len(div.History)-1] {
		if !finite(r.ValLoss) {
			t.Fatalf("record at step %d before the last is not finite", r.Step)
		}
	}
}

func TestRangeConfigBounds(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		key  string
	}{
		{"eta_min 0", func(c *Config) { c.EtaMin = 0 }, "training.eta_min"},
		{"more records than updates", func(c *Config) { c.RecordsPerCycle = 41 }, "training.records_per_cycle"},
		{"more than 2^31 updates", func(c *Config) { c.StepSize = StepSize{Updates: MaxUpdates + 1} }, "training.step_size"},
		{"more than 2^31 updates in cycles", func(c *Config) { c.StepSize, c.Cycles = StepSize{Updates: MaxUpdates/2 + 1}, 2 }, "training.step_size"},
	}
	for _, tc := range cases {
		cfg := rangeConfig()
		tc.edit(&cfg)
		var ce *ConfigError
		if err := cfg.Validate(200); !errors.As(err, &ce) || ce.Key != tc.key {
			t.Errorf("%s: err = %v, want one naming %s", tc.name, err, tc.key)
		}
	}
	cfg := rangeConfig()
	cfg.StepSize, cfg.Cycles = StepSize{Updates: MaxUpdates / 2}, 2
	if err := cfg.Validate(200); err != nil {
		t.Errorf("a range test of exactly 2^31 updates: %v", err)
	}
}
