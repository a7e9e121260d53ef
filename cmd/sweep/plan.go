package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/report"
	"github.com/sweep-ml/sweep/pkg/search"
	"github.com/sweep-ml/sweep/pkg/store"
)

// runPlan prints what `sweep run` would train, reading the database if it
// exists but never creating or changing it.
func runPlan(ctx context.Context, cfg config.Config, dbPath string, out io.Writer) error {
	runner, err := search.NewRunner(ctx, cfg, search.RunOptions{})
	if err != nil {
		return err
	}
	var db *store.DB
	if _, statErr := os.Stat(dbPath); statErr == nil {
		db, err = store.Open(dbPath, store.Options{ReadOnly: true})
		if err != nil {
			if errors.Is(err, store.ErrInUse) {
				return fmt.Errorf("%w; a sweep is running on %s: wait for it, or use \"sweep status\"", err, dbPath)
			}
			return err
		}
		defer db.Close()
	}
	stages, err := runner.Plan(db)
	if err != nil {
		return err
	}
	where := dbPath + " (not created yet)"
	if db != nil {
		where = dbPath
	}
	fmt.Fprintf(out, "sweep %q, database %s\n", cfg.Name, where)
	return writePlan(out, stages)
}

func writePlan(w io.Writer, stages []search.PlannedStage) error {
	var rates rangeRates
	for _, ps := range stages {
		st := ps.Plan.Stage
		fmt.Fprintf(w, "\nstage %s: %s\n", st.Name, stageSummary(st))
		rates.write(w, ps)
		for _, warning := range ps.Plan.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", warning)
		}
		if ps.Pending != "" {
			fmt.Fprintf(w, "  trials not known yet: %s\n", ps.Pending)
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(ps.Plan.Derived.Ranges)) {
			fmt.Fprintf(w, "  %s: %s, around the top %d trials of %s\n", name,
				st.DescribeRange(name, ps.Plan.Derived.Ranges[name]), len(ps.Plan.Derived.From), st.After)
		}
		writeRungs(w, ps.Plan)
		writeRounds(w, ps)
		names := report.ParamNames(ps.Plan.Trials, func(t search.PlannedTrial) map[string]float64 { return t.Params })
		halving, tpe := st.Halving != nil, st.TPE != nil
		if halving {
			names = append([]string{"cycles"}, names...)
		}
		if tpe {
			names = append([]string{"round"}, names...)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  #\tid\tstored\t%s\n", strings.Join(names, "\t"))
		for _, t := range ps.Plan.Trials {
			stored := "no"
			if s, ok := ps.Status[t.ID]; ok {
				stored = string(s)
			}
			if t.Reused {
				stored += " (reused)"
			}
			cells := make([]string, len(names))
			for i, name := range names {
				switch {
				case tpe && name == "round":
					cells[i] = fmt.Sprint(t.Round)
				case halving && name == "cycles":
					cells[i] = fmt.Sprint(t.Config.Cycles)
				default:
					cells[i] = report.FormatParam(name, t.Params[name])
				}
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\n", t.Index+1, report.ShortID(t.ID), stored, strings.Join(cells, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func stageSummary(st *config.Stage) string {
	var parts []string
	if r := st.LRRange; r != nil {
		parts = append(parts, fmt.Sprintf("LR range test, eta %s to %s over %d epoch(s)", report.Sci(r.Min), report.Sci(r.Max), r.Epochs))
	} else if st.Best > 0 {
		parts = append(parts, fmt.Sprintf("best %d", st.Best))
	} else {
		parts = append(parts, fmt.Sprintf("%s, %d trials", st.Sampler, st.Trials))
	}
	if st.Seeds > 1 {
		parts = append(parts, fmt.Sprintf("%d seeds each", st.Seeds))
	}
	if st.After != "" {
		parts = append(parts, "after "+st.After)
	}
	if h := st.Halving; h != nil {
		parts = append(parts, fmt.Sprintf("halving from %s by %d", plural(h.MinCycles, "cycle"), h.Eta))
	}
	if tp := st.TPE; tp != nil {
		parts = append(parts, fmt.Sprintf("%d startup points, then rounds of %d", tp.Startup, tp.Batch))
	}
	return strings.Join(parts, ", ")
}
