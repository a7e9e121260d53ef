package search

import (
	"errors"
	"fmt"
	"math"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// errRatesPending is wrapped (beside ErrNothingToRefine) when a stage
// waits for the rates of an earlier range stage.
var errRatesPending = errors.New("range stage not finished")

// rangeWindow is the width of the moving average DeriveRates smooths the
// validation accuracy with: a single noisy record cannot make the peak.
const rangeWindow = 5

// peakTolerance is how close to the highest smoothed accuracy the peak
// must be: on a plateau the first record of it wins, not whichever
// rounding of the averages happens to be largest.
const peakTolerance = 0.001

// DeriveRates is the rule that turns an LR range test's history into the
// rates of a cyclical schedule, both within [lo, hi], the test's span:
//
//   - The history is taken up to its first record whose training or
//     validation cost is not finite (the run diverged there).
//   - Validation accuracy is smoothed by a centred moving average of 5
//     records (fewer at the ends).
//   - eta_max is the rate of the first record whose smoothed accuracy is
//     within 0.001 (0.1 points) of the highest: beyond it accuracy gains
//     no more, falls, or the run diverged.
//   - eta_min is the rate of the first record whose smoothed accuracy has
//     covered a tenth of the rise from the start to the peak, at most
//     eta_max/10 (a cycle spans at least a decade) and at least lo.
//
// When accuracy never rises above its start (or the run diverged at
// once) there is no peak to take: both rates are lo, and note says so.
// The arithmetic is additions and divisions in a fixed order, so the
// rates are the same bits wherever the history is.
func DeriveRates(history []train.Record, lo, hi float64) (rates config.RangeRates, note string) {
	n := 0
	for n < len(history) && finite(history[n].TrainCost) && finite(history[n].ValCost) {
		n++
	}
	if n < 2 {
		return config.RangeRates{EtaMin: lo, EtaMax: lo}, "the range test diverged before its second record; both rates are its min"
	}
	h := history[:n]
	smooth := make([]float64, n)
	for i := range h {
		a, b := max(0, i-rangeWindow/2), min(n, i+rangeWindow/2+1)
		var sum float64
		for _, r := range h[a:b] {
			sum += r.ValAccuracy
		}
		smooth[i] = sum / float64(b-a)
	}
	best := smooth[0]
	for _, s := range smooth {
		best = max(best, s)
	}
	peak := 0
	for smooth[peak] < best-peakTolerance {
		peak++
	}
	clamp := func(x float64) float64 { return min(max(x, lo), hi) }
	if peak == 0 {
		return config.RangeRates{EtaMin: lo, EtaMax: lo}, "validation accuracy never rose above its start in the range test; both rates are its min"
	}
	etaMax := clamp(h[peak].Eta)
	threshold := smooth[0] + (smooth[peak]-smooth[0])/10
	rise := peak
	for i := range peak {
		if smooth[i] >= threshold {
			rise = i
			break
		}
	}
	return config.RangeRates{EtaMin: clamp(min(h[rise].Eta, etaMax/10)), EtaMax: etaMax}, ""
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// stageConfig is the config stage st trains with: the sweep's, with the
// rates of the last range stage before st in place of the training
// section's. It fails with errRatesPending while that stage has none.
func (r *Runner) stageConfig(st *config.Stage, h *history) (config.Config, error) {
	var last *config.Stage
	for i := range st.Index {
		if prev := &r.cfg.Search.Stages[i]; prev.LRRange != nil {
			last = prev
		}
	}
	if last == nil {
		return r.cfg, nil
	}
	stored, ok := h.stages[last.Name]
	if ok {
		d, err := config.DecodeDerived(stored.Derived)
		if err != nil {
			return config.Config{}, fmt.Errorf("search: stage %q: stored derived values: %w", last.Name, err)
		}
		if d.Rates != nil {
			return r.cfg.WithRates(*d.Rates), nil
		}
	}
	return config.Config{}, fmt.Errorf("search: stage %q: %w: %w: it trains with the rates range stage %q derives", st.Name, ErrNothingToRefine, errRatesPending, last.Name)
}

// rangeReason says why a stage waits for a range stage.
func (r *Runner) rangeReason(st *config.Stage) string {
	name := ""
	for i := range st.Index {
		if prev := &r.cfg.Search.Stages[i]; prev.LRRange != nil {
			name = prev.Name
		}
	}
	return fmt.Sprintf("trains with the eta_min and eta_max range stage %q derives, known once its trial has finished", name)
}

// deriveStageRates stores a range stage's rates once its trial is final:
// right after training it, or on the next run if a kill came between.
// A failed range trial derives nothing; the next run retrains it.
func (r *Runner) deriveStageRates(st *config.Stage, plan *StagePlan, rec store.Stage) error {
	if plan.Derived.Rates != nil || len(plan.Trials) != 1 {
		return nil
	}
	t, err := r.db.Trial(plan.Trials[0].ID)
	if err != nil {
		return err
	}
	if !t.Status.Final() {
		return nil
	}
	stored, err := r.db.History(t.ID)
	if err != nil {
		return err
	}
	history := make([]train.Record, len(stored))
	for i, s := range stored {
		history[i] = train.Record(s)
	}
	rates, note := DeriveRates(history, st.LRRange.Min, st.LRRange.Max)
	plan.Derived.Rates = &rates
	if rec.Derived, err = config.EncodeDerived(plan.Derived); err != nil {
		return err
	}
	if err := r.timed(func() error { return r.db.PutStage(rec) }); err != nil {
		return err
	}
	if obs := r.opts.Observer; obs != nil && note != "" {
		obs.Warn(fmt.Sprintf("stage %q: %s", st.Name, note))
	}
	return nil
}
