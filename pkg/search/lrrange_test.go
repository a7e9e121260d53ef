package search

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// synthetic builds a range test's history: rates from lo to hi
// log-linearly, accuracy acc(i) at record i, and from record diverge on
// (if >= 0) non-finite costs.
func synthetic(n int, lo, hi float64, acc func(i int) float64, diverge int) []train.Record {
	h := make([]train.Record, n)
	for i := range h {
		eta := lo * math.Pow(hi/lo, float64(i)/float64(n-1))
		h[i] = train.Record{Step: i, Eta: eta, ValAccuracy: acc(i), TrainCost: 1, ValCost: 1}
		if diverge >= 0 && i >= diverge {
			h[i].TrainCost, h[i].ValCost = math.NaN(), math.Inf(1)
		}
	}
	return h
}

func TestDeriveRates(t *testing.T) {
	const lo, hi = 1e-5, 1.0
	rate := func(i int) float64 { return lo * math.Pow(hi/lo, float64(i)/100) } // of 101 records
	chance := func(int) float64 { return 0.1 }
	// Flat at chance until record 30, up linearly to 0.9 at record 70,
	// down after it.
	hump := func(i int) float64 {
		switch {
		case i < 30:
			return 0.1
		case i <= 70:
			return 0.1 + 0.8*float64(i-30)/40
		}
		return max(0.1, 0.9-0.05*float64(i-70))
	}
	cases := []struct {
		name     string
		history  []train.Record
		min, max float64
		note     bool
	}{
		// The raw peak is record 70, but the fall after it is steeper than
		// the rise, so the average of five peaks at 69 (0.866); a tenth of
		// the rise from 0.1, 0.1766, is first reached at record 34 (0.18).
		{"rise, peak, fall", synthetic(101, lo, hi, hump, -1), rate(34), rate(69), false},
		// Divergence at record 60 cuts the history on the rise: the last
		// finite record (59, averaging 57..59 to 0.66) is the peak, and a
		// tenth of the rise, 0.156, is reached at 33 (0.16).
		{"diverges while rising", synthetic(101, lo, hi, hump, 60), rate(33), rate(59), false},
		// Monotone to the end: the peak is the last rate, hi; the averages
		// run 0.108 (0..2) to 0.892 (98..100), and a tenth of that rise,
		// 0.1864, is passed at record 11 (0.188).
		{"monotone to max", synthetic(101, lo, hi, func(i int) float64 { return 0.1 + 0.008*float64(i) }, -1), rate(11), hi, false},
		{"never rises", synthetic(101, lo, hi, chance, -1), lo, lo, true},
		{"falls from the start", synthetic(101, lo, hi, func(i int) float64 { return 0.5 - 0.004*float64(i) }, -1), lo, lo, true},
		{"diverges at once", synthetic(101, lo, hi, chance, 1), lo, lo, true},
		{"diverges at step 0", synthetic(101, lo, hi, chance, 0), lo, lo, true},
		{"empty", nil, lo, lo, true},
		// A single noisy record cannot make the peak: the average of five
		// around it (0.27) stays below the real one; it only marks the
		// rise early, at record 18.
		{"one spike", synthetic(101, lo, hi, func(i int) float64 {
			if i == 20 {
				return 0.95
			}
			return hump(i)
		}, -1), rate(18), rate(69), false},
		// A sudden jump at record 50 to a plateau: the peak is the
		// plateau's first full average (52), not a later one that rounds
		// higher, and the rise (48) is within a decade of it, so eta_min
		// is eta_max/10.
		{"step", synthetic(101, lo, hi, func(i int) float64 {
			if i < 50 {
				return 0.1
			}
			return 0.8
		}, -1), rate(52) / 10, rate(52), false},
	}
	for _, tc := range cases {
		rates, note := DeriveRates(tc.history, lo, hi)
		if !near(rates.EtaMin, tc.min) || !near(rates.EtaMax, tc.max) {
			t.Errorf("%s: rates [%.6g, %.6g], want [%.6g, %.6g]", tc.name, rates.EtaMin, rates.EtaMax, tc.min, tc.max)
		}
		if rates.EtaMin < lo || rates.EtaMax > hi || rates.EtaMin > rates.EtaMax {
			t.Errorf("%s: rates [%g, %g] outside [%g, %g] or reversed", tc.name, rates.EtaMin, rates.EtaMax, lo, hi)
		}
		if (note != "") != tc.note {
			t.Errorf("%s: note %q", tc.name, note)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Abs(b) }

// rangeSweep is a range test on the embedded data (1 epoch, rising to a
// rate it diverges at), then a small grid that trains with the
// rates the test derived.
const rangeSweep = `
name: range
seed: 7
data: {source: embedded}
model: {hidden: 8}
training:
  batch_size: 150
  step_size: 20
  cycles: 1
  records_per_cycle: 4
search:
  stages:
    - name: range
      lr_range: {min: 1e-4, max: 1000, epochs: 1}
    - name: coarse
      sampler: grid
      trials: 2
      space:
        lambda: {log10: [-4, -2]}
`

// rangeState is what a range sweep stored: every trial's bits, the range
// stage's derived values and the stages' trial lists.
func rangeState(t *testing.T, path string) (map[string]outcome, map[string]store.Stage) {
	t.Helper()
	stages, _ := readStages(t, path)
	return outcomes(t, path), stages
}

func TestRangeStageFeedsLaterStages(t *testing.T) {
	cfg := parseConfig(t, rangeSweep)
	r, err := NewRunner(t.Context(), cfg, RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Before the range test has run, the later stage waits for it.
	plans, err := r.Plan(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plans[0].Plan.Trials) != 1 || plans[1].Pending == "" {
		t.Fatalf("plan: %d range trials, coarse pending %q", len(plans[0].Plan.Trials), plans[1].Pending)
	}
	rt := plans[0].Plan.Trials[0].Config
	// One epoch of 9000 examples in batches of 150 is 60 updates, fewer
	// than RangePoints: a record after every update.
	if rt.Schedule != train.LRRange || rt.EtaMin != 1e-4 || rt.EtaMax != 1000 || rt.RecordsPerCycle != 60 || rt.Cycles != 1 || rt.StepSize != (train.StepSize{Epochs: 1}) {
		t.Fatalf("range trial trains %+v", rt)
	}
	path := filepath.Join(t.TempDir(), "r.db")
	if err := sweepRun(t.Context(), t, cfg, path, RunOptions{Workers: 2}, nil); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stages, err := db.Stages()
	if err != nil {
		t.Fatal(err)
	}
	d, err := config.DecodeDerived(stages[0].Derived)
	if err != nil || d.Rates == nil {
		t.Fatalf("range stage derived %s (%v)", stages[0].Derived, err)
	}
	rangeTrial, err := db.Trial(stages[0].TrialIDs[0])
	if err != nil {
		t.Fatal(err)
	}
	stored, err := db.History(rangeTrial.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Rising to 1000 diverges on this set (the same bits everywhere):
	// the range test ends there, keeps its history, and the stage goes on.
	if rangeTrial.Status != store.Diverged || len(stored) < 2 {
		t.Fatalf("range trial is %s with %d records, want diverged with its history", rangeTrial.Status, len(stored))
	}
	history := make([]train.Record, len(stored))
	for i, s := range stored {
		history[i] = train.Record(s)
	}
	t.Logf("range trial %s, %d records, rates %+v", rangeTrial.Status, len(stored), *d.Rates)
	if want, _ := DeriveRates(history, 1e-4, 1000); *d.Rates != want {
		t.Fatalf("stored rates %+v, the rule gives %+v", *d.Rates, want)
	}
	if d.Rates.EtaMin < 1e-4 || d.Rates.EtaMax > 1000 || !(d.Rates.EtaMin < d.Rates.EtaMax) {
		t.Fatalf("rates %+v: want 1e-4 <= eta_min < eta_max <= 1000 on a learnable set", *d.Rates)
	}
	for _, id := range stages[1].TrialIDs {
		tr, err := db.Trial(id)
		if err != nil {
			t.Fatal(err)
		}
		s, _, err := config.ReadSettings(tr.Config)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Status != store.Done || s["eta_min"] != d.Rates.EtaMin || s["eta_max"] != d.Rates.EtaMax || s["schedule"] != "triangular" {
			t.Errorf("coarse trial %s (%s) trained with %v, want the derived rates %+v", id, tr.Status, s, *d.Rates)
		}
	}
}

// Interrupted anywhere in the range test (or just after it), a range
// sweep resumes to the same bits, the same derived rates and so the same
// later trials as one never interrupted.
func TestRangeResumeAfterCancelIsExact(t *testing.T) {
	ref := filepath.Join(t.TempDir(), "ref.db")
	if err := sweepRun(t.Context(), t, parseConfig(t, rangeSweep), ref, RunOptions{Workers: 1}, nil); err != nil {
		t.Fatal(err)
	}
	want, wantStages := rangeState(t, ref)
	for _, stopAt := range []int{2, 17, 40, 52} { // the range test makes 50 records, the coarse trials 5 each
		t.Run(fmt.Sprint(stopAt), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.db")
			runCancelledAt(t, rangeSweep, path, stopAt, 3)
			second := &startCounter{started: map[string]int{}}
			if err := sweepRun(t.Context(), t, parseConfig(t, rangeSweep), path, RunOptions{Workers: 2, Observer: second, CheckpointEvery: 3}, nil); err != nil {
				t.Fatal(err)
			}
			if second.resumed == 0 {
				t.Errorf("stopped at record %d: nothing resumed from a checkpoint", stopAt)
			}
			got, gotStages := rangeState(t, path)
			sameOutcomes(t, "resumed", got, want)
			if len(gotStages) != len(wantStages) {
				t.Fatalf("%d stages, want %d", len(gotStages), len(wantStages))
			}
			for name, w := range wantStages {
				g := gotStages[name]
				if string(g.Derived) != string(w.Derived) || fmt.Sprint(g.TrialIDs) != fmt.Sprint(w.TrialIDs) {
					t.Errorf("stage %s: derived %s trials %v, want %s %v", name, g.Derived, g.TrialIDs, w.Derived, w.TrialIDs)
				}
			}
		})
	}
}
