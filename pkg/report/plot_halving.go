package report

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
)

// HalvingStages names the stages of db that train by successive halving.
func HalvingStages(db *store.DB) ([]string, error) {
	stages, err := db.Stages()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, st := range stages {
		spec, err := config.DecodeStage(st.Spec)
		if err != nil {
			return nil, fmt.Errorf("report: stage %q: %w", st.Name, err)
		}
		if spec.Halving != nil {
			names = append(names, st.Name)
		}
	}
	return names, nil
}

// PlotHalving draws a halving stage: each point's validation accuracy
// against cycles, from the first rung to the rung it stopped at (a trial
// that continued a rung carries that rung's history), the trials that
// reached the last rung in colour, the pruned ones grey, and a dashed line
// at every rung. format is png or svg.
func PlotHalving(ctx context.Context, w io.Writer, format string, db *store.DB, stage string) error {
	st, err := db.Stage(stage)
	if err != nil {
		return err
	}
	spec, err := config.DecodeStage(st.Spec)
	if err != nil {
		return fmt.Errorf("report: stage %q: %w", stage, err)
	}
	if spec.Halving == nil {
		return fmt.Errorf("report: stage %q is not a halving stage", stage)
	}
	var done, pruned []curve
	most := 0
	for _, id := range st.TrialIDs {
		if err := ctx.Err(); err != nil {
			return err
		}
		t, err := db.Trial(id)
		if err != nil {
			return err
		}
		if t.Status != store.Done && t.Status != store.Pruned || CyclesTrained(t) < 1 {
			continue // a promoted trial's curve is its continuation's
		}
		h, err := db.History(id)
		if err != nil {
			return err
		}
		if len(h) == 0 {
			continue
		}
		c := curve{row: Row{Trial: t}, history: h}
		most = max(most, CyclesTrained(t))
		if t.Status == store.Done {
			done = append(done, c)
		} else {
			pruned = append(pruned, c)
		}
	}
	if len(done)+len(pruned) == 0 {
		return fmt.Errorf("report: stage %q has no finished trial to plot", stage)
	}
	f, err := halvingFigure(stage, spec.Halving.Rungs(most), done, pruned, 1100, 650)
	if err != nil {
		return err
	}
	return f.render(w, format)
}

func halvingFigure(stage string, rungs []int, done, pruned []curve, width, height int) (figure, error) {
	p := newPlot(fmt.Sprintf("stage %s: successive halving, rungs at %v cycles", stage, rungs), "cycles", "validation accuracy (%)")
	lo, hi := math.Inf(1), math.Inf(-1)
	add := func(c curve, col color.Color) error {
		h := c.history
		perCycle := float64(h[len(h)-1].Step) / float64(CyclesTrained(c.row.Trial))
		xys := points(len(h), func(j int) (float64, float64) { return float64(h[j].Step) / perCycle, 100 * h[j].ValAccuracy })
		for _, xy := range xys {
			if finite(xy.Y) {
				lo, hi = min(lo, xy.Y), max(hi, xy.Y)
			}
		}
		return addLine(p, xys, col, nil)
	}
	for _, c := range pruned {
		if err := add(c, lostColor); err != nil {
			return figure{}, err
		}
	}
	var legend []keyEntry
	for i, c := range done {
		if err := add(c, paletteColor(i)); err != nil {
			return figure{}, err
		}
		label := fmt.Sprintf("%s, λ = %s: %s", ShortID(c.row.ID), Sci(c.row.Params["lambda"]), Percent(metric(c.row.Final.ValAccuracy)))
		legend = append(legend, keyEntry{label, lineThumb(paletteColor(i), nil)})
	}
	if len(pruned) > 0 {
		legend = append(legend, keyEntry{fmt.Sprintf("%d pruned", len(pruned)), lineThumb(lostColor, nil)})
	}
	if lo <= hi {
		for _, r := range rungs {
			l, err := plotter.NewLine(plotter.XYs{{X: float64(r), Y: lo}, {X: float64(r), Y: hi}})
			if err != nil {
				return figure{}, err
			}
			l.Color, l.Dashes, l.Width = bestColor, []vg.Length{vg.Points(4), vg.Points(3)}, vg.Points(1)
			p.Add(l)
		}
		legend = append(legend, keyEntry{"rung", lineThumb(bestColor, []vg.Length{vg.Points(4), vg.Points(3)})})
	}
	p.X.Min = 0
	return figure{width, height, func(c draw.Canvas) { drawWithLegend(c, p, legend) }}, nil
}
