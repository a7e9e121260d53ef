package search

import (
	"context"
	"os"
	"time"

	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// Executor trains the segments of trials for a Runner: a segment is a
// trial trained from its start, or from its checkpoint (an interrupted
// trial, or a halving trial's rung) to its end. Without one, a Runner
// trains in its own goroutines with train.Train; package distributed's
// executor hands segments to workers on other machines. Planning, rungs
// and the database stay with the Runner either way.
type Executor interface {
	// Execute trains job.Trial from job.Options.Resume and returns what
	// train.Train(ctx, job.Trial.Config, job.Trial.Data.Prepared,
	// job.Options) would return. It calls job.Options' hooks on the
	// calling goroutine, one at a time, and sets job.Ran before each call
	// and before it returns; it calls job.OnStart first when the segment
	// begins to train, job.OnQueued if it goes back to a queue, and
	// job.OnStart again whenever it begins anew elsewhere.
	Execute(ctx context.Context, job *Job) (*train.Result, error)
}

// Job is one segment of a trial handed to an Executor.
type Job struct {
	Trial   *PlannedTrial
	Options train.Options
	// Ran says where the segment trains (or trained) and from which
	// update; To is filled in by the Runner.
	Ran store.Segment
	// Started, if the executor sets it, is when the segment began to
	// train, later than when it was handed over (a remote segment waits
	// in a queue); the trial's wall seconds count from it.
	Started time.Time
	// Stored, if the executor sets it, is called once the segment's
	// result is committed to the database, and only then: a remote
	// executor acknowledges the result there, so that no acknowledged
	// result can be lost.
	Stored func()
	// OnStart, set by the Runner, is called by the executor on the
	// calling goroutine when the segment begins to train (job.Ran says
	// where), and again whenever it begins anew somewhere else (handed
	// back or redelivered): until the first call the trial shows as
	// queued.
	OnStart func()
	// OnQueued, set by the Runner, is called by the executor on the
	// calling goroutine when a segment that began to train goes back to
	// a queue (its worker stopped and gave it back): the trial shows as
	// queued until the next OnStart. job.Ran still names the worker
	// that gave it back.
	OnQueued func()
}

// maxInFlight bounds the segments a Runner with an Executor keeps in
// flight at once: every trial of a stage, up to this many goroutines.
const maxInFlight = 10_000

// localExecutor trains in the Runner's goroutines.
type localExecutor struct {
	r    *Runner
	host string
}

func (e localExecutor) Execute(ctx context.Context, job *Job) (*train.Result, error) {
	job.Ran = store.Segment{Host: e.host, Kernel: job.Options.Kernel}
	if job.Options.Resume != nil {
		job.Ran.From = job.Options.Resume.Step
	}
	job.OnStart()
	return e.r.trainFn(ctx, job.Trial.Config, job.Trial.Data.Prepared, job.Options)
}

// hostname is this machine's name for the segments it trains; "" if the
// system does not say.
func hostname() string {
	h, _ := os.Hostname()
	return h
}

// addSegment records that seg trained up to update to: it extends the
// segment of the same stretch (same worker, same start) wherever it is in
// the list, since two deliveries of one segment may report in turn, else
// appends one.
func addSegment(segs []store.Segment, seg store.Segment, to int) []store.Segment {
	seg.To = to
	out := append([]store.Segment(nil), segs...)
	for i, s := range out {
		if s.Worker == seg.Worker && s.Host == seg.Host && s.From == seg.From {
			seg.To = max(s.To, to)
			out[i] = seg
			return out
		}
	}
	return append(out, seg)
}
