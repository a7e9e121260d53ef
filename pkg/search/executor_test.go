package search

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

func TestAddSegment(t *testing.T) {
	a := store.Segment{Worker: "a-1", Host: "a", From: 0}
	b := store.Segment{Worker: "b-1", Host: "b", From: 100}
	seg := func(s store.Segment, to int) store.Segment { s.To = to; return s }
	for _, tc := range []struct {
		name string
		adds []store.Segment // To is the update reached
		want []store.Segment
	}{
		{"one worker", []store.Segment{seg(a, 10), seg(a, 20)}, []store.Segment{seg(a, 20)}},
		{"handed over", []store.Segment{seg(a, 150), seg(b, 200)}, []store.Segment{seg(a, 150), seg(b, 200)}},
		// Two deliveries of one segment reporting in turn: two stretches,
		// however many reports.
		{"two deliveries", []store.Segment{seg(a, 10), seg(b, 110), seg(a, 20), seg(b, 120), seg(a, 30), seg(b, 130)},
			[]store.Segment{seg(a, 30), seg(b, 130)}},
		{"a late report", []store.Segment{seg(a, 30), seg(b, 110), seg(a, 20)}, []store.Segment{seg(a, 30), seg(b, 110)}},
		{"same worker, new start", []store.Segment{seg(a, 50), seg(store.Segment{Worker: "a-1", Host: "a", From: 40}, 60)},
			[]store.Segment{seg(a, 50), {Worker: "a-1", Host: "a", From: 40, To: 60}}},
	} {
		var segs []store.Segment
		for _, s := range tc.adds {
			before := append([]store.Segment(nil), segs...)
			next := addSegment(segs, store.Segment{Worker: s.Worker, Host: s.Host, From: s.From}, s.To)
			if !reflect.DeepEqual(segs, before) {
				t.Errorf("%s: addSegment changed its argument", tc.name)
			}
			segs = next
		}
		if !reflect.DeepEqual(segs, tc.want) {
			t.Errorf("%s: segments %+v, want %+v", tc.name, segs, tc.want)
		}
	}
}

// remoteStopped is an Executor like a remote one that is interrupted: its
// worker stored a checkpoint (which the runner stored as running), then
// ctx ended and Execute returned at once, while the worker trains on.
type remoteStopped struct{ cancel context.CancelFunc }

func (e remoteStopped) Execute(ctx context.Context, job *Job) (*train.Result, error) {
	job.Ran = store.Segment{Worker: "w-1", Host: "elsewhere"}
	job.OnStart()
	opts := job.Options
	opts.OnCheckpoint = func(ck *train.Checkpoint) error {
		if err := job.Options.OnCheckpoint(ck); err != nil {
			return err
		}
		e.cancel()
		return errors.New("stopped")
	}
	opts.CheckpointEvery = 10
	_, _ = train.Train(context.Background(), job.Trial.Config, job.Trial.Data.Prepared, opts)
	return nil, ctx.Err()
}

// An interrupted sweep leaves no trial stored as running: no process
// trains it for this database, and report and export would say it does.
func TestInterruptedRemoteTrialIsStoredPending(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	path := filepath.Join(t.TempDir(), "s.db")
	err := sweepRun(ctx, t, parseConfig(t, tinySweep), path, RunOptions{Executor: remoteStopped{cancel}}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run: %v, want it cancelled", err)
	}
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	err = db.ForEachTrial(func(tr store.Trial) error {
		n++
		if tr.Status != store.Pending {
			t.Errorf("trial %s stored %s, want pending", tr.ID, tr.Status)
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("%d trials stored (%v), want the checkpointed ones", n, err)
	}
}

// handedOver is an Executor whose segment begins on worker a, goes back to
// the queue and begins again on worker b before it trains, as a segment a
// stopped worker gave back does.
type handedOver struct {
	t *testing.T
	r *Runner
}

func (e *handedOver) Execute(ctx context.Context, job *Job) (*train.Result, error) {
	where := func(step string, queued bool, worker string) {
		e.r.mu.Lock()
		rt := *e.r.live[job.Trial.ID]
		e.r.mu.Unlock()
		if rt.Queued != queued || rt.Worker != worker {
			e.t.Errorf("trial %s %s: status queued %v, worker %q; want %v, %q", job.Trial.ID, step, rt.Queued, rt.Worker, queued, worker)
		}
	}
	job.Ran = store.Segment{Worker: "a", Host: "h1"}
	job.OnStart()
	where("begun on a", false, "a")
	job.OnQueued()
	where("given back", true, "")
	job.Ran = store.Segment{Worker: "b", Host: "h2"}
	job.OnStart()
	where("begun again on b", false, "b")
	return train.Train(ctx, job.Trial.Config, job.Trial.Data.Prepared, job.Options)
}

// A segment handed from one worker to another shows where it is at each
// step, and the Observer hears of one start per trial.
func TestHandedOverSegmentStartsOnce(t *testing.T) {
	exec := &handedOver{t: t}
	obs := &startCounter{started: map[string]int{}}
	path := filepath.Join(t.TempDir(), "s.db")
	if err := sweepRun(t.Context(), t, parseConfig(t, tinySweep), path, RunOptions{Executor: exec, Observer: obs}, func(r *Runner) { exec.r = r }); err != nil {
		t.Fatal(err)
	}
	if len(obs.started) == 0 {
		t.Fatal("no trial started")
	}
	for id, n := range obs.started {
		if n != 1 {
			t.Errorf("trial %s: the Observer heard of %d starts, want 1", id, n)
		}
	}
}
