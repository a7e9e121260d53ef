package main

import (
	"fmt"
	"io"

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
		fmt.Fprintf(w, "  eta_min %s, eta_max %s from range stage %s, unless the stage sets its own\n", fmtRate(r.rates.EtaMin), fmtRate(r.rates.EtaMax), r.from)
	}
}

func fmtRate(x float64) string { return fmt.Sprintf("%.4g", x) }
