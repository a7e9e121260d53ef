package main

import (
	"fmt"
	"io"

	"github.com/sweep-ml/sweep/pkg/search"
)

// writeRungs says how many trials reach each rung of a halving stage: the
// number planned where the rung below is decided, the most that can reach
// it (ceil(n/eta) of the rung below) where it is not. A tpe stage's first
// rung counts its points still to be proposed too.
func writeRungs(w io.Writer, plan *search.StagePlan) {
	h := plan.Stage.Halving
	if h == nil || len(plan.Rungs) == 0 {
		return
	}
	all := plan.RungCycles
	n := len(plan.Rungs[0].Trials)
	// A tpe stage's first rung grows round by round to all its points.
	points := n
	if st := plan.Stage; st.TPE != nil {
		points = max(n, st.Trials*max(1, st.Seeds))
	}
	for k, c := range all {
		var line string
		switch {
		case k == 0 && n < points:
			line = fmt.Sprintf("%d of %d trials known, decided when every round is proposed and finished", n, points)
			n = points
		case k < len(plan.Rungs):
			r := plan.Rungs[k]
			n = len(r.Trials)
			line = fmt.Sprintf("%d trials", n)
			switch {
			case r.Decided:
				line += fmt.Sprintf(", decided: %d promoted, %d pruned", len(r.Promoted), len(r.Pruned))
			case k < len(all)-1:
				line += ", decided when all are finished"
			}
		default:
			n = (n + h.Eta - 1) / h.Eta
			line = fmt.Sprintf("up to %d trials, once the rung below is decided", n)
		}
		fmt.Fprintf(w, "  rung %d, %s: %s\n", k+1, plural(c, "cycle"), line)
	}
}
