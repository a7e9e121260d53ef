package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/search"
)

// rangeRates carries the rates of the last range stage through a plan, to
// say where the later stages' rates come from.
type rangeRates struct {
	from  string
	rates *config.RangeRates
}

// write prints a range stage's derived rates, or, for a later stage, the
// rates it trains with.
func (r *rangeRates) write(w io.Writer, ps search.PlannedStage) {
	st := ps.Plan.Stage
	switch {
	case st.LRRange != nil && ps.Plan.Derived.Rates != nil:
		r.from, r.rates = st.Name, ps.Plan.Derived.Rates
		fmt.Fprintf(w, "  derived eta_min %s, eta_max %s\n", fmtRate(r.rates.EtaMin), fmtRate(r.rates.EtaMax))
	case st.LRRange != nil:
		r.from, r.rates = st.Name, nil
		fmt.Fprintf(w, "  derives eta_min and eta_max for the later stages once its trial has finished\n")
	case r.rates != nil && ps.Pending == "":
		var parts []string
		for _, s := range []struct {
			name string
			x    float64
		}{{"eta_min", r.rates.EtaMin}, {"eta_max", r.rates.EtaMax}} {
			if !setsItself(st, s.name) {
				parts = append(parts, s.name+" "+fmtRate(s.x))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(w, "  %s from range stage %s\n", strings.Join(parts, ", "), r.from)
		}
	}
}

// setsItself reports whether a stage overrides or searches a setting,
// which then does not come from a range stage.
func setsItself(st *config.Stage, name string) bool {
	if _, ok := st.Training[name]; ok {
		return true
	}
	return slices.ContainsFunc(st.Space, func(d config.Dimension) bool { return d.Name == name })
}

func fmtRate(x float64) string { return fmt.Sprintf("%.4g", x) }
