package report

import (
	"fmt"
	"image/color"
	"io"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
)

// describeRange is a range stage in DescribeStage: its span and, once its
// trial is final, the rates it derived.
func describeRange(spec config.Stage, der config.Derived) string {
	r := spec.LRRange
	s := fmt.Sprintf("LR range test, eta %s to %s over %d epoch(s)", Sci(r.Min), Sci(r.Max), r.Epochs)
	if der.Rates != nil {
		s += fmt.Sprintf(", derived eta_min %s, eta_max %s", rate(der.Rates.EtaMin), rate(der.Rates.EtaMax))
	}
	return s
}

// rate spells a derived rate with the digits that tell two apart.
func rate(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }

// RangeStage is a range stage of a sweep with its trial and, once derived,
// its rates.
type RangeStage struct {
	Name  string
	Trial store.Trial
	Rates *config.RangeRates
}

// RangeStages lists the range stages of db that have a trial, in stage order.
func RangeStages(db *store.DB) ([]RangeStage, error) {
	stages, err := db.Stages()
	if err != nil {
		return nil, err
	}
	var out []RangeStage
	for _, st := range stages {
		spec, err := config.DecodeStage(st.Spec)
		if err != nil {
			return nil, fmt.Errorf("report: stage %q: %w", st.Name, err)
		}
		if spec.LRRange == nil || len(st.TrialIDs) == 0 {
			continue
		}
		der, err := config.DecodeDerived(st.Derived)
		if err != nil {
			return nil, fmt.Errorf("report: stage %q: %w", st.Name, err)
		}
		t, err := db.Trial(st.TrialIDs[0])
		if err != nil {
			return nil, err
		}
		out = append(out, RangeStage{Name: st.Name, Trial: t, Rates: der.Rates})
	}
	return out, nil
}

var rateColor = color.RGBA{R: 127, G: 127, B: 127, A: 255} // the derived rates

// PlotRange draws a range test: validation and training accuracy, and
// loss, against the learning rate on a log axis, with the derived eta_min
// and eta_max marked. format is png or svg.
func PlotRange(w io.Writer, format string, rs RangeStage, history []store.Record) error {
	f, err := rangeFigure(rs, history, 1100, 500)
	if err != nil {
		return err
	}
	return f.render(w, format)
}

func rangeFigure(rs RangeStage, history []store.Record, width, height int) (figure, error) {
	var kept []store.Record // a log axis takes positive rates only
	for _, r := range history {
		if r.Eta > 0 && finite(r.Eta) {
			kept = append(kept, r)
		}
	}
	if len(kept) == 0 {
		return figure{}, fmt.Errorf("report: range stage %s: trial %s (%s) has no history to plot", rs.Name, ShortID(rs.Trial.ID), rs.Trial.Status)
	}
	dashed := []vg.Length{vg.Points(5), vg.Points(3)}
	byEta := func(y func(store.Record) float64) plotter.XYs {
		return points(len(kept), func(i int) (float64, float64) { return kept[i].Eta, y(kept[i]) })
	}
	// ceiling, when > 0, caps the y axis: the loss of a diverging run
	// explodes and would flatten everything before it.
	panel := func(title, ylabel string, ceiling float64, trainY, valY func(store.Record) float64) (*plot.Plot, error) {
		p := newPlot(title, "learning rate η (log scale)", ylabel)
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = ticks{log: true}
		if err := addLine(p, byEta(trainY), trainColor, nil); err != nil {
			return nil, err
		}
		if err := addLine(p, byEta(valY), valColor, dashed); err != nil {
			return nil, err
		}
		p.X.Min, p.X.Max = kept[0].Eta, kept[len(kept)-1].Eta
		if ceiling > 0 && p.Y.Max > ceiling {
			p.Y.Min, p.Y.Max = 0, ceiling
		}
		if rs.Rates != nil {
			lo, hi := p.Y.Min, p.Y.Max
			for _, x := range []float64{rs.Rates.EtaMin, rs.Rates.EtaMax} {
				if err := addLine(p, plotter.XYs{{X: x, Y: lo}, {X: x, Y: hi}}, rateColor, []vg.Length{vg.Points(2), vg.Points(2)}); err != nil {
					return nil, err
				}
			}
		}
		decades(&p.X)
		return p, nil
	}
	acc, err := panel("accuracy", "accuracy (%)", 0, func(r store.Record) float64 { return 100 * r.TrainAccuracy }, func(r store.Record) float64 { return 100 * r.ValAccuracy })
	if err != nil {
		return figure{}, err
	}
	// Twice the starting loss shows the fall and the start of the blow-up.
	ceiling := 2 * max(kept[0].TrainLoss, kept[0].ValLoss)
	loss, err := panel("cross-entropy loss (axis capped at twice the first)", "loss", ceiling, func(r store.Record) float64 { return r.TrainLoss }, func(r store.Record) float64 { return r.ValLoss })
	if err != nil {
		return figure{}, err
	}
	title := fmt.Sprintf("LR range test: stage %s, trial %s (%s)", rs.Name, ShortID(rs.Trial.ID), rs.Trial.Status)
	key := []keyEntry{
		{"training", lineThumb(trainColor, nil)},
		{"validation", lineThumb(valColor, dashed)},
	}
	if rs.Rates != nil {
		key = append(key, keyEntry{fmt.Sprintf("derived η_min %s, η_max %s", rate(rs.Rates.EtaMin), rate(rs.Rates.EtaMax)), lineThumb(rateColor, []vg.Length{vg.Points(2), vg.Points(2)})})
	}
	plots := [][]*plot.Plot{{acc, loss}}
	return figure{width, height, func(c draw.Canvas) {
		c = drawHeader(c, title, key)
		tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(24), PadLeft: vg.Points(8), PadRight: vg.Points(12), PadBottom: vg.Points(8)}
		canvases := plot.Align(plots, tiles, c)
		for j, p := range plots[0] {
			p.Draw(canvases[0][j])
		}
	}}, nil
}
