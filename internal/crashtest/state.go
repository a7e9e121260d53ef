package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"slices"

	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// dbState is everything a sweep database holds that the checks look at,
// with results as raw float bits.
type dbState struct {
	sweep  store.Sweep
	stages []store.Stage
	trials map[string]store.Trial
	// results holds each trial's history, final metrics and weights bits.
	results map[string][]uint64
	// checkpoint is the step of each unfinished trial's checkpoint.
	checkpoint map[string]int
}

// readState reads the database at path; a database a kill prevented from
// being created reads as empty.
func readState(path string) (*dbState, error) {
	s := &dbState{trials: map[string]store.Trial{}, results: map[string][]uint64{}, checkpoint: map[string]int{}}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if errors.Is(err, store.ErrNotSweepDB) {
		return s, nil // killed before the schema was committed; Create adopts it
	}
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if s.sweep, err = db.Sweep(); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if s.stages, err = db.Stages(); err != nil {
		return nil, err
	}
	err = db.ForEachTrial(func(t store.Trial) error {
		s.trials[t.ID] = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	for id, t := range s.trials {
		var bits []uint64
		add := func(vs ...float64) {
			for _, v := range vs {
				bits = append(bits, math.Float64bits(v))
			}
		}
		err := db.ForEachRecord(id, func(r store.Record) error {
			add(float64(r.Step), r.Epoch, r.Eta, r.TrainCost, r.TrainLoss, r.TrainAccuracy, r.ValCost, r.ValLoss, r.ValAccuracy)
			return nil
		})
		if err != nil {
			return nil, err
		}
		f := t.Final
		for _, p := range []*float64{f.TrainCost, f.TrainLoss, f.TrainAccuracy, f.ValCost, f.ValLoss, f.ValAccuracy, f.TestCost, f.TestLoss, f.TestAccuracy} {
			if p == nil {
				add(math.Inf(-1)) // absent, distinct from any stored value's bits but -Inf's
			} else {
				add(*p)
			}
		}
		w, err := db.Weights(id)
		switch {
		case err == nil:
			add(float64(w.M), float64(w.D), float64(w.K))
			for _, v := range [][]float64{w.W1, w.B1, w.W2, w.B2, w.Mean, w.Std} {
				add(v...)
			}
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		case t.Status == store.Done:
			return nil, fmt.Errorf("trial %s is done without weights", id)
		}
		s.results[id] = bits
		blob, err := db.Checkpoint(id)
		switch {
		case err == nil:
			if t.Status.Final() {
				return nil, fmt.Errorf("trial %s is %s but still has a checkpoint", id, t.Status)
			}
			var ck train.Checkpoint
			if err := ck.UnmarshalBinary(blob); err != nil {
				return nil, fmt.Errorf("trial %s: %w", id, err)
			}
			s.checkpoint[id] = ck.Step
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	return s, nil
}

// counts are the problems compare finds.
type counts struct{ lost, duplicated, mismatched int }

// compare checks a completed sweep against the reference, counting lost,
// duplicated and mismatched trials and stages; problems that fit none of
// these are returned in notes. launches is how many child processes ran
// into got.
func compare(got, want *dbState, launches int) (c counts, notes []string) {
	note := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }
	if got.sweep.DataFingerprint != want.sweep.DataFingerprint || got.sweep.ConfigResolved == nil {
		c.mismatched++
		note("sweep record differs: fingerprint %q, want %q", got.sweep.DataFingerprint, want.sweep.DataFingerprint)
	}
	if len(got.stages) != len(want.stages) {
		c.mismatched++
		note("%d stages, want %d", len(got.stages), len(want.stages))
	}
	for i := range min(len(got.stages), len(want.stages)) {
		g, w := got.stages[i], want.stages[i]
		seen := map[string]bool{}
		for _, id := range g.TrialIDs {
			if seen[id] {
				c.duplicated++
				note("stage %s lists trial %s twice", g.Name, id)
			}
			seen[id] = true
		}
		if g.Name != w.Name || g.Index != w.Index || !bytes.Equal(g.Spec, w.Spec) || !bytes.Equal(g.Derived, w.Derived) ||
			!slices.Equal(g.TrialIDs, w.TrialIDs) || !slices.Equal(g.Reused, w.Reused) {
			c.mismatched++
			note("stage %d differs: %s %s %v, want %s %s %v", i, g.Name, g.Derived, g.TrialIDs, w.Name, w.Derived, w.TrialIDs)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(want.trials)) {
		w := want.trials[id]
		g, ok := got.trials[id]
		switch {
		case !ok:
			c.lost++
			note("trial %s is missing", id)
			continue
		case g.Status != w.Status:
			c.lost++
			note("trial %s is %s, want %s", id, g.Status, w.Status)
			continue
		}
		if g.Stage != w.Stage || g.Index != w.Index || g.Seed != w.Seed || g.SeedIndex != w.SeedIndex ||
			g.DivergedStep != w.DivergedStep || !bytes.Equal(g.Config, w.Config) || !sameParams(g.Params, w.Params) ||
			!slices.Equal(got.results[id], want.results[id]) {
			c.mismatched++
			note("trial %s: results differ from the uninterrupted run", id)
		}
		if g.Attempts < 1 || g.Attempts > launches || g.Started.IsZero() || g.Finished.Before(g.Started) || g.Seconds <= 0 {
			note("trial %s: implausible bookkeeping: %d attempts in %d launches, started %v, finished %v, %gs",
				id, g.Attempts, launches, g.Started, g.Finished, g.Seconds)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(got.trials)) {
		if _, ok := want.trials[id]; !ok {
			c.duplicated++
			note("trial %s is not in the uninterrupted run", id)
		}
	}
	return c, notes
}

func sameParams(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || math.Float64bits(v) != math.Float64bits(w) {
			return false
		}
	}
	return true
}
