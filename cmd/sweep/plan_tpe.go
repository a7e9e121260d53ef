package main

import (
	"fmt"
	"io"

	"github.com/sweep-ml/sweep/pkg/search"
	"github.com/sweep-ml/sweep/pkg/store"
)

// writeRounds says which rounds of a tpe stage are decided (their points
// proposed), how many of their trials are finished, and how many points
// remain to be proposed. On a halving stage the rounds are its first
// rung's trials.
func writeRounds(w io.Writer, ps search.PlannedStage) {
	st := ps.Plan.Stage
	tp := st.TPE
	if tp == nil {
		return
	}
	type count struct{ trials, finished int }
	var rounds []count
	for _, t := range ps.Plan.Trials {
		if t.Rung > 0 {
			continue
		}
		for len(rounds) <= t.Round {
			rounds = append(rounds, count{})
		}
		rounds[t.Round].trials++
		if s, ok := ps.Status[t.ID]; ok && (s.Final() || s == store.Failed) {
			rounds[t.Round].finished++
		}
	}
	d := ps.Plan.Derived
	known := min(tp.Startup, st.Trials) + min(len(d.Proposed), st.Trials-min(tp.Startup, st.Trials))
	points := map[int]int{} // each decided round's points, from the stored rounds
	for i := range known {
		points[st.TPERound(d, i)]++
	}
	for len(rounds) <= st.TPERound(d, known-1) { // rounds whose points all repeat earlier trials
		rounds = append(rounds, count{})
	}
	before := 0
	for k, c := range rounds {
		what := fmt.Sprintf("round %d: decided, %s proposed from the %s before it", k, plural(points[k], "point"), plural(before, "result"))
		if k == 0 {
			what = fmt.Sprintf("round 0 (startup): sobol's first %s", plural(min(tp.Startup, st.Trials), "point"))
		}
		if c.trials == 0 {
			fmt.Fprintf(w, "  %s; they repeat earlier trials\n", what)
			continue
		}
		fmt.Fprintf(w, "  %s; %d of %s finished\n", what, c.finished, plural(c.trials, "trial"))
		before += c.trials
	}
	if remain := st.Trials - known; remain > 0 {
		next, last := len(rounds), st.TPERound(d, st.Trials-1)
		span := fmt.Sprintf("round %d", next)
		if last > next {
			span = fmt.Sprintf("rounds %d to %d", next, last)
		}
		fmt.Fprintf(w, "  %s: not decided yet, %s remain; round %d is proposed once round %d has finished\n", span, plural(remain, "point"), next, next-1)
	}
}
