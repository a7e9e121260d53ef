package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/sweep-ml/sweep/pkg/report"
	"github.com/sweep-ml/sweep/pkg/search"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// progress shows a running sweep: on a terminal, one live bar per running
// trial and one for the stage with its ETA (mpb draws them); elsewhere,
// plain log lines, a progress line per trial at most every logEvery.
type progress struct {
	mu     sync.Mutex
	out    io.Writer
	bars   *mpb.Progress // nil off a terminal
	stage  *mpb.Bar
	trials map[string]*trialProgress
	closed bool
}

type trialProgress struct {
	bar      *mpb.Bar
	lastLine time.Time
	// mu guards what the bar's decorator reads from mpb's goroutine; it is
	// never held while calling into mpb, which could wait on that goroutine.
	mu     sync.Mutex
	epoch  float64
	valAcc float64
}

const logEvery = 10 * time.Second

func newProgress(w io.Writer) *progress {
	p := &progress{out: w, trials: map[string]*trialProgress{}}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bars = mpb.New(mpb.WithOutput(w), mpb.WithWidth(30), mpb.WithRefreshRate(200*time.Millisecond))
		p.out = p.bars
	}
	return p
}

// describe names a trial for people: its stage and searched values.
func describe(t *search.PlannedTrial) string {
	names := make([]string, 0, len(t.Params))
	for name := range t.Params {
		names = append(names, name)
	}
	sort.Strings(names)
	parts := []string{t.Stage.Name}
	for _, name := range names {
		parts = append(parts, name+"="+report.FormatParam(name, t.Params[name]))
	}
	if t.SeedIndex > 0 {
		parts = append(parts, fmt.Sprintf("seed#%d", t.SeedIndex))
	}
	if t.Stage.Halving != nil {
		parts = append(parts, plural(t.Config.Cycles, "cycle"))
	}
	return strings.Join(parts, " ")
}

func (p *progress) StageStarted(plan *search.StagePlan, todo int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "stage %s: %s, %d to train\n", plan.Stage.Name, plural(len(plan.Trials), "trial"), todo)
	if n := len(plan.Rungs); n > 0 {
		r := plan.Rungs[n-1]
		line := fmt.Sprintf("  rung %d of %d, %s: %s", n, len(plan.RungCycles), plural(r.Cycles, "cycle"), plural(len(r.Trials), "trial"))
		if n > 1 {
			below := plan.Rungs[n-2]
			line += fmt.Sprintf(", the best of rung %d's %d", n-1, len(below.Trials))
		}
		fmt.Fprintln(p.out, line)
	}
	if tp := plan.Stage.TPE; tp != nil && len(plan.Trials) > 0 && len(plan.Rungs) <= 1 {
		// A tpe stage is planned again after each round: say how far.
		// With halving the rounds train its first rung, the only one
		// known until every round is proposed.
		last := plan.Trials[len(plan.Trials)-1].Round
		what := fmt.Sprintf("round %d", last)
		if last == 0 {
			what += " (startup)"
		}
		fmt.Fprintf(p.out, "  %s of rounds 0-%d\n", what, plan.Stage.TPERound(plan.Derived, plan.Stage.Trials-1))
	}
	if p.bars == nil || todo == 0 {
		return
	}
	if p.stage != nil {
		p.stage.Abort(false)
	}
	p.stage = p.bars.AddBar(int64(todo), mpb.BarPriority(1<<30),
		mpb.PrependDecorators(decor.Name("stage "+plan.Stage.Name, decor.WCSyncSpaceR), decor.CountersNoUnit("%d/%d trials", decor.WCSyncSpace)),
		mpb.AppendDecorators(decor.Percentage(decor.WC{W: 5}), decor.Name(" ETA "), decor.AverageETA(decor.ET_STYLE_GO)))
}

func (p *progress) TrialStarted(t *search.PlannedTrial, resumedAt, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	tp := &trialProgress{valAcc: -1, lastLine: time.Now()}
	p.trials[t.ID] = tp
	verb := "started"
	if resumedAt > 0 {
		verb = fmt.Sprintf("resumed at step %d/%d", resumedAt, total)
	}
	if p.bars == nil {
		fmt.Fprintf(p.out, "trial %s (%s) %s\n", report.ShortID(t.ID), describe(t), verb)
		return
	}
	tp.bar = p.bars.AddBar(int64(total), mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(decor.Name(describe(t), decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			tp.mu.Lock()
			defer tp.mu.Unlock()
			if tp.valAcc < 0 {
				return fmt.Sprintf("epoch %5.2f", tp.epoch)
			}
			return fmt.Sprintf("epoch %5.2f  val %s", tp.epoch, report.Percent(tp.valAcc))
		})))
	tp.bar.SetCurrent(int64(resumedAt))
}

func (p *progress) TrialRecord(t *search.PlannedTrial, rec train.Record) {
	p.mu.Lock()
	defer p.mu.Unlock()
	tp := p.trials[t.ID]
	if tp == nil {
		return
	}
	tp.mu.Lock()
	tp.epoch, tp.valAcc = rec.Epoch, rec.ValAccuracy
	tp.mu.Unlock()
	if tp.bar != nil {
		tp.bar.SetCurrent(int64(rec.Step))
		return
	}
	if now := time.Now(); now.Sub(tp.lastLine) >= logEvery {
		tp.lastLine = now
		fmt.Fprintf(p.out, "trial %s (%s) epoch %.2f, val accuracy %s\n", report.ShortID(t.ID), describe(t), rec.Epoch, report.Percent(rec.ValAccuracy))
	}
}

func (p *progress) TrialFinished(t *search.PlannedTrial, result store.Trial) {
	p.mu.Lock()
	defer p.mu.Unlock()
	tp := p.trials[t.ID]
	delete(p.trials, t.ID)
	if tp != nil && tp.bar != nil {
		tp.bar.Abort(true)
	}
	if p.stage != nil {
		p.stage.Increment()
	}
	line := fmt.Sprintf("trial %s (%s) %s", report.ShortID(t.ID), describe(t), result.Status)
	switch result.Status {
	case store.Done:
		line += fmt.Sprintf(": val %s, test %s, %.1fs", report.Percent(store.OrNaN(result.Final.ValAccuracy)), report.Percent(store.OrNaN(result.Final.TestAccuracy)), result.Seconds)
	case store.Diverged:
		line += fmt.Sprintf(" at step %d", result.DivergedStep)
	case store.Failed:
		line += ": " + result.Error
	}
	fmt.Fprintln(p.out, line)
}

func (p *progress) Warn(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.out, "warning: "+msg)
}

// Close removes the live bars, whatever state the sweep stopped in. Calls
// after the first do nothing.
func (p *progress) Close() {
	if p.bars == nil {
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	for _, tp := range p.trials {
		if tp.bar != nil {
			tp.bar.Abort(true)
		}
	}
	if p.stage != nil && !p.stage.Completed() {
		p.stage.Abort(false)
	}
	p.mu.Unlock()
	p.bars.Wait()
}

// plural writes a count of things: "1 trial", "8 trials".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
