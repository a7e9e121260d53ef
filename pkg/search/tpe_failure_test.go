package search

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// cancelOnFailure cancels a run when a trial finishes failed.
type cancelOnFailure struct {
	startCounter
	cancel func()
}

func (c *cancelOnFailure) TrialFinished(_ *PlannedTrial, tr store.Trial) {
	if tr.Status == store.Failed {
		c.cancel()
	}
}

// A startup trial that fails once, and a run cancelled right after the
// failure, while its round may still have trials to train: the next run does
// not retry it before the round is decided, so the proposals are the ones
// of the uninterrupted run, where the failure counted as the worst result.
// Retried at once, its success would have decided the rounds instead.
func TestTPEFailureThenCancelKeepsProposals(t *testing.T) {
	src := tpeSweep[:strings.Index(tpeSweep, "    - name: th")]
	// The failure must hit a good startup point, or counting it as the
	// worst changes no proposal: the best of a clean run's startup points.
	clean := filepath.Join(t.TempDir(), "clean.db")
	if err := sweepRun(t.Context(), t, parseConfig(t, src), clean, RunOptions{Workers: 1}, nil); err != nil {
		t.Fatal(err)
	}
	stages, trials := readStages(t, clean)
	failID := ""
	for _, id := range stages["t"].TrialIDs[:4] {
		if failID == "" || *trials[id].Final.ValAccuracy > *trials[failID].Final.ValAccuracy {
			failID = id
		}
	}
	// failOnce fails that trial the first time it trains.
	failOnce := func() func(*Runner) {
		var mu sync.Mutex
		failed := false
		return func(r *Runner) {
			r.trainFn = func(ctx context.Context, c train.Config, ds *train.Dataset, o train.Options) (*train.Result, error) {
				id, _ := TrialID(c, r.base.Info.Fingerprint)
				mu.Lock()
				fail := id == failID && !failed
				failed = failed || fail
				mu.Unlock()
				if fail {
					return nil, errors.New("injected failure")
				}
				return train.Train(ctx, c, ds, o)
			}
		}
	}

	ref := filepath.Join(t.TempDir(), "ref.db")
	hook := failOnce()
	for range 2 { // the second run retries the failure, once every round is proposed
		if err := sweepRun(t.Context(), t, parseConfig(t, src), ref, RunOptions{Workers: 1}, hook); err != nil {
			t.Fatal(err)
		}
	}

	path := filepath.Join(t.TempDir(), "c.db")
	hook = failOnce()
	ctx, cancel := context.WithCancel(t.Context())
	obs := &cancelOnFailure{startCounter: startCounter{started: map[string]int{}}, cancel: cancel}
	err := sweepRun(ctx, t, parseConfig(t, src), path, RunOptions{Workers: 1, Observer: obs}, hook)
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the interrupted run returned %v, want context.Canceled", err)
	}
	if stages, _ := readStages(t, path); len(derivedOf(t, stages["t"]).Proposed) != 0 {
		t.Fatal("a round was proposed before the cancel; the test needs the failure in an undecided round")
	}
	for range 2 {
		if err := sweepRun(t.Context(), t, parseConfig(t, src), path, RunOptions{Workers: 1}, hook); err != nil {
			t.Fatal(err)
		}
	}

	want, wantTrials := readStages(t, ref)
	got, gotTrials := readStages(t, path)
	if !reflect.DeepEqual(derivedOf(t, got["t"]).Proposed, derivedOf(t, want["t"]).Proposed) || !reflect.DeepEqual(got["t"].TrialIDs, want["t"].TrialIDs) {
		t.Fatal("the proposals depend on when the run was interrupted after a failure")
	}
	for _, id := range got["t"].TrialIDs {
		if gotTrials[id].Status != store.Done || wantTrials[id].Status != store.Done {
			t.Errorf("trial %s: %s here, %s in the reference, want both done after the retry", id, gotTrials[id].Status, wantTrials[id].Status)
		}
	}
}
