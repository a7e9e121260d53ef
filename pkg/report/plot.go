package report

import (
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// PlotFormats are the image formats the Plot functions write.
var PlotFormats = []string{"png", "svg"}

// dpi converts the figures' pixel sizes to lengths; PNGs are rendered at it.
const dpi = 96

var (
	trainColor = color.RGBA{R: 31, G: 119, B: 180, A: 255}  // blue
	valColor   = color.RGBA{R: 214, G: 39, B: 40, A: 255}   // red
	etaColor   = color.RGBA{R: 44, G: 160, B: 44, A: 255}   // green
	bestColor  = color.RGBA{R: 0, G: 0, B: 0, A: 255}       // black ring
	lostColor  = color.RGBA{R: 127, G: 127, B: 127, A: 255} // diverged trials
)

// figure is a drawing of a fixed size in pixels (at 96 dpi).
type figure struct {
	width, height int
	draw          func(c draw.Canvas)
}

func (f figure) render(w io.Writer, format string) error {
	wl := vg.Length(f.width) * vg.Inch / dpi
	hl := vg.Length(f.height) * vg.Inch / dpi
	var c vg.CanvasWriterTo
	switch format {
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(wl, hl), vgimg.UseDPI(dpi))}
	case "svg":
		c = vgsvg.New(wl, hl)
	default:
		return fmt.Errorf("report: unknown plot format %q (want %s)", format, strings.Join(PlotFormats, " or "))
	}
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	f.draw(dc)
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("report: write %s plot: %w", format, err)
	}
	return nil
}

// PlotTrial draws a trial's training history as one image of four panels:
// cost, loss and accuracy against the update step, training and validation
// on the same axes, and the learning-rate schedule. format is png or svg.
func PlotTrial(w io.Writer, format string, t store.Trial, history []store.Record) error {
	f, err := trialFigure(t, history, 1100, 800)
	if err != nil {
		return err
	}
	return f.render(w, format)
}

func trialFigure(t store.Trial, history []store.Record, width, height int) (figure, error) {
	if len(history) == 0 {
		return figure{}, fmt.Errorf("report: trial %s (%s) has no history to plot", ShortID(t.ID), t.Status)
	}
	// Without stored settings the recorded rates are drawn; settings that
	// are there but do not decode are an error.
	if len(t.Config) > 0 {
		if _, _, err := config.ReadSettings(t.Config); err != nil {
			return figure{}, fmt.Errorf("report: trial %s: %w", ShortID(t.ID), err)
		}
	}
	steps := func(y func(store.Record) float64) plotter.XYs {
		return points(len(history), func(i int) (float64, float64) { return float64(history[i].Step), y(history[i]) })
	}
	panel := func(title, ylabel string, trainY, valY func(store.Record) float64) (*plot.Plot, error) {
		p := newPlot(title, "update step", ylabel)
		if err := addLine(p, steps(trainY), trainColor, nil); err != nil {
			return nil, err
		}
		return p, addLine(p, steps(valY), valColor, []vg.Length{vg.Points(5), vg.Points(3)})
	}
	cost, err := panel("cost (loss + λ‖W‖²)", "cost", func(r store.Record) float64 { return r.TrainCost }, func(r store.Record) float64 { return r.ValCost })
	if err != nil {
		return figure{}, err
	}
	loss, err := panel("cross-entropy loss", "loss", func(r store.Record) float64 { return r.TrainLoss }, func(r store.Record) float64 { return r.ValLoss })
	if err != nil {
		return figure{}, err
	}
	acc, err := panel("accuracy", "accuracy (%)", func(r store.Record) float64 { return 100 * r.TrainAccuracy }, func(r store.Record) float64 { return 100 * r.ValAccuracy })
	if err != nil {
		return figure{}, err
	}
	eta := newPlot("learning rate", "update step", "η")
	if err := addLine(eta, etaCurve(t, history), etaColor, nil); err != nil {
		return figure{}, err
	}

	title := trialTitle(t)
	key := []keyEntry{
		{"training", lineThumb(trainColor, nil)},
		{"validation", lineThumb(valColor, []vg.Length{vg.Points(5), vg.Points(3)})},
	}
	plots := [][]*plot.Plot{{cost, loss}, {acc, eta}}
	return figure{width, height, func(c draw.Canvas) {
		c = drawHeader(c, title, key)
		tiles := draw.Tiles{Rows: 2, Cols: 2, PadX: vg.Points(24), PadY: vg.Points(16), PadLeft: vg.Points(8), PadRight: vg.Points(12), PadBottom: vg.Points(8)}
		canvases := plot.Align(plots, tiles, c)
		for i := range plots {
			for j, p := range plots[i] {
				p.Draw(canvases[i][j])
			}
		}
	}}, nil
}

func trialTitle(t store.Trial) string {
	parts := []string{"trial " + ShortID(t.ID), "stage " + t.Stage}
	if l, ok := t.Params["lambda"]; ok {
		parts = append(parts, "λ = "+Sci(l))
	}
	switch {
	case t.Status == store.Diverged:
		parts = append(parts, fmt.Sprintf("diverged at step %d", t.DivergedStep))
	case t.Final.ValAccuracy != nil:
		parts = append(parts, "val acc "+Percent(*t.Final.ValAccuracy))
	}
	return strings.Join(parts, " · ")
}

// etaCurve is the learning rate at every step where the schedule bends,
// recomputed from the trial's settings; the history holds only the ~10
// recorded points per cycle, which would cut the triangle's corners. It
// falls back to the recorded values when the settings cannot be read.
func etaCurve(t store.Trial, history []store.Record) plotter.XYs {
	recorded := points(len(history), func(i int) (float64, float64) { return float64(history[i].Step), history[i].Eta })
	cfg, ns, ok := schedule(t.Config, history)
	if !ok {
		return recorded
	}
	last := history[len(history)-1].Step
	set := map[int]bool{0: true, last: true}
	for s := 0; s < last; s += ns {
		set[s] = true
	}
	if cfg.Schedule == train.ExpRange || cfg.Schedule == train.LRRange { // curved: sample densely
		for s := 0; s < last; s += max(1, last/400) {
			set[s] = true
		}
	}
	steps := slices.Sorted(maps.Keys(set))
	return points(len(steps), func(i int) (float64, float64) { return float64(steps[i]), train.Eta(cfg, ns, steps[i]) })
}

// schedule reads the learning-rate settings back from a trial's stored
// configuration and the half-cycle length n_s in updates; ok is false when
// the configuration does not decode (trialFigure reports that) or lacks the
// rates. An epoch's length is not stored, so it comes from the history:
// epoch = step / batches.
func schedule(raw json.RawMessage, history []store.Record) (train.Config, int, bool) {
	s, _, err := config.ReadSettings(raw)
	if err != nil || s["eta_min"] == nil || s["eta_max"] == nil || s["step_size"] == nil {
		return train.Config{}, 0, false
	}
	cfg := train.Config{Schedule: train.Triangular}
	if err := s.ApplyTo(&cfg); err != nil {
		return train.Config{}, 0, false
	}
	ns := cfg.StepSize.Updates
	if k := cfg.StepSize.Epochs; k > 0 {
		i := slices.IndexFunc(history, func(r store.Record) bool { return r.Step > 0 && r.Epoch > 0 })
		if i < 0 {
			return train.Config{}, 0, false
		}
		ns = k * int(math.Round(float64(history[i].Step)/history[i].Epoch))
	}
	return cfg, ns, ns > 0
}

// sweepPlotData is what the sweep-level plots show.
type sweepPlotData struct {
	name   string
	stages []string // in run order
	rows   []Row    // ranked, best first
	// startup holds, for each tpe stage, the points (pointKey) of its
	// startup trials, which the plot tells apart from the proposed ones.
	startup map[string]map[string]bool
}

// pointKey identifies a trial's configuration and seed, which a halving
// stage's trials of one point share at every rung.
func pointKey(t store.Trial) string {
	return fmt.Sprintf("%s seed %d", config.FormatParams(t.Params), t.SeedIndex)
}

func readSweepPlotData(ctx context.Context, db *store.DB) (sweepPlotData, error) {
	sw, err := db.Sweep()
	if err != nil {
		return sweepPlotData{}, err
	}
	stages, err := db.Stages()
	if err != nil {
		return sweepPlotData{}, err
	}
	rows, err := Rank(ctx, db, Selection{})
	if err != nil {
		return sweepPlotData{}, err
	}
	d := sweepPlotData{name: sw.Name, rows: rows, startup: map[string]map[string]bool{}}
	for _, st := range stages {
		d.stages = append(d.stages, st.Name)
		derived, err := config.DecodeDerived(st.Derived)
		if err != nil {
			return sweepPlotData{}, fmt.Errorf("report: stage %s: %w", st.Name, err)
		}
		if derived.Startup == 0 {
			continue
		}
		// From the stored trials, not the rows: a halving stage's startup
		// trials that were promoted are not rows, their continuations are.
		keys := map[string]bool{}
		for _, id := range st.TrialIDs[:min(derived.Startup, len(st.TrialIDs))] {
			if err := ctx.Err(); err != nil {
				return sweepPlotData{}, err
			}
			t, err := db.Trial(id)
			if err != nil {
				return sweepPlotData{}, fmt.Errorf("report: stage %s: %w", st.Name, err)
			}
			keys[pointKey(t)] = true
		}
		d.startup[st.Name] = keys
	}
	return d, nil
}

// PlotSweep draws every trial of the sweep in db as a point of validation
// accuracy against lambda (log scale), stages in their own colour and
// marker, the best trial ringed and labelled. format is png or svg.
func PlotSweep(ctx context.Context, w io.Writer, format string, db *store.DB) error {
	d, err := readSweepPlotData(ctx, db)
	if err != nil {
		return err
	}
	f, err := lambdaFigure(d, 1100, 650)
	if err != nil {
		return err
	}
	return f.render(w, format)
}

func lambdaFigure(d sweepPlotData, width, height int) (figure, error) {
	p := newPlot("sweep "+d.name+": validation accuracy against λ", "λ (L2 penalty)", "validation accuracy (%)")
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = ticks{log: true}
	var legend []keyEntry
	point := func(r Row) (x, y float64, ok bool) {
		x, y = r.Params["lambda"], 100*metric(r.Final.ValAccuracy)
		return x, y, x > 0 && finite(x) && finite(y)
	}
	stageIndex := map[string]int{}
	for i, s := range d.stages {
		stageIndex[s] = i
	}
	byStage := make([]plotter.XYs, len(d.stages))
	startup := make([]plotter.XYs, len(d.stages)) // tpe stages' startup points
	var lost, pruned plotter.XYs
	for _, r := range d.rows {
		x, y, ok := point(r)
		switch {
		case !ok:
		case r.Status == store.Pruned: // measured at a lower rung: not comparable
			pruned = append(pruned, plotter.XY{X: x, Y: y})
		case r.Status != store.Done:
			lost = append(lost, plotter.XY{X: x, Y: y})
		default:
			i, known := stageIndex[r.Stage]
			if !known { // a trial no stage lists any more
				i = len(d.stages)
				stageIndex[r.Stage] = i
				d.stages = append(d.stages, r.Stage)
				byStage, startup = append(byStage, nil), append(startup, nil)
			}
			if d.startup[r.Stage][pointKey(r.Trial)] {
				startup[i] = append(startup[i], plotter.XY{X: x, Y: y})
				continue
			}
			byStage[i] = append(byStage[i], plotter.XY{X: x, Y: y})
		}
	}
	for i, xys := range byStage {
		if len(xys)+len(startup[i]) == 0 {
			continue
		}
		label := fmt.Sprintf("%s (%d)", d.stages[i], len(xys))
		if _, tpe := d.startup[d.stages[i]]; tpe {
			label = fmt.Sprintf("%s proposed (%d)", d.stages[i], len(xys))
		}
		if len(xys) > 0 {
			s, err := plotter.NewScatter(xys)
			if err != nil {
				return figure{}, fmt.Errorf("report: plot stage %s: %w", d.stages[i], err)
			}
			s.GlyphStyle = draw.GlyphStyle{Color: paletteColor(i), Radius: vg.Points(4), Shape: shapes[i%len(shapes)]}
			p.Add(s)
			legend = append(legend, keyEntry{label, s})
		}
		if len(startup[i]) > 0 {
			// The stage's colour, hollow: sobol's points, before any result.
			s, err := plotter.NewScatter(startup[i])
			if err != nil {
				return figure{}, fmt.Errorf("report: plot stage %s: %w", d.stages[i], err)
			}
			var shape draw.GlyphDrawer = draw.RingGlyph{}
			if _, ring := shapes[i%len(shapes)].(draw.RingGlyph); ring {
				shape = draw.SquareGlyph{}
			}
			s.GlyphStyle = draw.GlyphStyle{Color: paletteColor(i), Radius: vg.Points(4), Shape: shape}
			p.Add(s)
			legend = append(legend, keyEntry{fmt.Sprintf("%s startup (%d)", d.stages[i], len(startup[i])), s})
		}
	}
	if len(pruned) > 0 {
		s, err := plotter.NewScatter(pruned)
		if err != nil {
			return figure{}, err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: lostColor, Radius: vg.Points(3), Shape: draw.RingGlyph{}}
		p.Add(s)
		legend = append(legend, keyEntry{fmt.Sprintf("pruned at a lower rung (%d)", len(pruned)), s})
	}
	if len(lost) > 0 {
		s, err := plotter.NewScatter(lost)
		if err != nil {
			return figure{}, fmt.Errorf("report: plot diverged trials: %w", err)
		}
		s.GlyphStyle = draw.GlyphStyle{Color: lostColor, Radius: vg.Points(4), Shape: draw.CrossGlyph{}}
		p.Add(s)
		legend = append(legend, keyEntry{fmt.Sprintf("diverged (%d)", len(lost)), s})
	}
	if len(d.rows) > 0 && d.rows[0].Status == store.Done {
		if x, y, ok := point(d.rows[0]); ok {
			ring, err := plotter.NewScatter(plotter.XYs{{X: x, Y: y}})
			if err != nil {
				return figure{}, err
			}
			ring.GlyphStyle = draw.GlyphStyle{Color: bestColor, Radius: vg.Points(9), Shape: draw.RingGlyph{}}
			label, err := plotter.NewLabels(plotter.XYLabels{
				XYs:    plotter.XYs{{X: x, Y: y}},
				Labels: []string{fmt.Sprintf("best: %s, λ = %s", Percent(y/100), Sci(x))},
			})
			if err != nil {
				return figure{}, err
			}
			label.Offset = vg.Point{X: vg.Points(12), Y: vg.Points(-4)}
			label.TextStyle[0].Font = sans(vg.Points(10))
			p.Add(ring, label)
			legend = append(legend, keyEntry{"best (" + ShortID(d.rows[0].ID) + ")", ring})
		}
	}
	if len(legend) == 0 {
		return figure{}, fmt.Errorf("report: sweep %s has no trial with a validation accuracy to plot", d.name)
	}
	decades(&p.X)
	// Headroom above the best point for its ring and label.
	p.Y.Max += 0.08 * (p.Y.Max - p.Y.Min)
	return figure{width, height, func(c draw.Canvas) { drawWithLegend(c, p, legend) }}, nil
}

// PlotTop overlays the validation accuracy curves of the sweep's n best
// trials (n <= 0 means 5). format is png or svg.
func PlotTop(ctx context.Context, w io.Writer, format string, db *store.DB, n int) error {
	d, err := readSweepPlotData(ctx, db)
	if err != nil {
		return err
	}
	curves, err := topCurves(ctx, db, d.rows, n)
	if err != nil {
		return err
	}
	f, err := topFigure(d.name, curves, 1100, 650)
	if err != nil {
		return err
	}
	return f.render(w, format)
}

// curve is a ranked trial and its history.
type curve struct {
	rank    int // 1 for the best
	row     Row
	history []store.Record
}

// topCurves reads the histories of the n best done trials.
func topCurves(ctx context.Context, db *store.DB, rows []Row, n int) ([]curve, error) {
	if n <= 0 {
		n = 5
	}
	var out []curve
	for i, r := range rows {
		if len(out) == n || r.Status != store.Done {
			break // ranked: done trials come first
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := db.History(r.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, curve{i + 1, r, h})
	}
	return out, nil
}

func topFigure(name string, curves []curve, width, height int) (figure, error) {
	if len(curves) == 0 {
		return figure{}, fmt.Errorf("report: sweep %s has no finished trial to plot", name)
	}
	p := newPlot(fmt.Sprintf("sweep %s: validation accuracy of the %d best trials", name, len(curves)), "update step", "validation accuracy (%)")
	if len(curves) == 1 {
		p.Title.Text = fmt.Sprintf("sweep %s: validation accuracy of the best trial", name)
	}
	var legend []keyEntry
	// The worst first, so the best is drawn on top.
	for i, c := range slices.Backward(curves) {
		h := c.history
		xys := points(len(h), func(j int) (float64, float64) { return float64(h[j].Step), 100 * h[j].ValAccuracy })
		if err := addLine(p, xys, paletteColor(i), nil); err != nil {
			return figure{}, err
		}
	}
	zoomToSecondHalf(p, curves)
	for i, c := range curves {
		line, err := plotter.NewLine(plotter.XYs{{}})
		if err != nil {
			return figure{}, err
		}
		line.Color, line.Width = paletteColor(i), vg.Points(2)
		label := fmt.Sprintf("#%d %s %s, λ = %s: %s", c.rank, ShortID(c.row.ID), c.row.Stage, Sci(c.row.Params["lambda"]), Percent(metric(c.row.Final.ValAccuracy)))
		legend = append(legend, keyEntry{label, line})
	}
	return figure{width, height, func(c draw.Canvas) { drawWithLegend(c, p, legend) }}, nil
}

// zoomToSecondHalf fits the y axis to the second half of training: the best
// trials differ by tenths of a point at the end, which an axis that also
// spans the first steps' 10% flattens into one line. The early steps run
// off the bottom of the plot.
func zoomToSecondHalf(p *plot.Plot, curves []curve) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range curves {
		last := c.history[len(c.history)-1].Step
		for _, r := range c.history {
			if v := 100 * r.ValAccuracy; r.Step >= last/2 && finite(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if lo < hi {
		margin := max(0.5, (hi-lo)/10)
		p.Y.Min, p.Y.Max = lo-margin, hi+margin
	}
}

func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(vg.Points(13))
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.X.Label.TextStyle.Font = sans(vg.Points(11))
	p.Y.Label.TextStyle.Font = sans(vg.Points(11))
	p.X.Tick.Label.Font = sans(vg.Points(10))
	p.Y.Tick.Label.Font = sans(vg.Points(10))
	p.X.Tick.Marker, p.Y.Tick.Marker = ticks{}, ticks{}
	p.Add(plotter.NewGrid())
	return p
}

// addLine adds xys as a line, leaving out points that are not finite (a
// diverged trial's cost), which the plotter rejects.
func addLine(p *plot.Plot, xys plotter.XYs, c color.Color, dashes []vg.Length) error {
	xys = slices.DeleteFunc(xys, func(xy plotter.XY) bool { return !finite(xy.X) || !finite(xy.Y) })
	if len(xys) == 0 {
		return nil
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return fmt.Errorf("report: plot %q: %w", p.Title.Text, err)
	}
	l.Color, l.Dashes, l.Width = c, dashes, vg.Points(1.75)
	p.Add(l)
	return nil
}

func points(n int, xy func(i int) (float64, float64)) plotter.XYs {
	out := make(plotter.XYs, n)
	for i := range out {
		out[i].X, out[i].Y = xy(i)
	}
	return out
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// decades widens a log axis to whole powers of ten, so it always shows at
// least two labelled ticks, even when the points span less than a decade.
func decades(a *plot.Axis) {
	a.Min = math.Pow(10, math.Floor(math.Log10(a.Min)))
	a.Max = math.Pow(10, math.Ceil(math.Log10(a.Max)))
	if a.Min == a.Max {
		a.Max *= 10
	}
}

// ticks labels linear axes at 1, 2 or 5 times a power of ten, about six
// labels an axis, without minor ticks (the grid is enough), and log axes
// at powers of ten in the compact form 1e-4, marking their multiples.
type ticks struct{ log bool }

func (t ticks) Ticks(lo, hi float64) []plot.Tick {
	if t.log {
		return logTicks(lo, hi)
	}
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 6, 64)}}
	}
	raw := (hi - lo) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	switch {
	case raw <= mag:
		step = mag
	case raw <= 2*mag:
		step = 2 * mag
	case raw <= 5*mag:
		step = 5 * mag
	}
	decimals := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	var out []plot.Tick
	for k := math.Ceil(lo / step); k*step <= hi+step*1e-9; k++ {
		v := k * step
		label := strconv.FormatFloat(v, 'f', decimals, 64)
		switch {
		case v == 0:
			label = "0"
		case hi < 1e-2:
			label = shortSci(v) // e.g. a learning rate: 2.5e-3, not 0.0025
		}
		out = append(out, plot.Tick{Value: v, Label: label})
	}
	return out
}

// logTicks labels every power of ten in [lo, hi] and marks its multiples.
// plot.LogTicks would do, but it truncates log10(1e-4) = -3.9999999999999996
// to -3 and so drops the lowest label.
func logTicks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for e := math.Floor(math.Log10(lo) + 1e-9); math.Pow(10, e) <= hi*(1+1e-9); e++ {
		p := math.Pow(10, e)
		for k := 1.0; k < 10 && k*p <= hi*(1+1e-9); k++ {
			if k*p < lo*(1-1e-9) {
				continue
			}
			tick := plot.Tick{Value: k * p}
			if k == 1 {
				tick.Label = shortSci(p)
			}
			out = append(out, tick)
		}
	}
	return out
}

// shortSci formats 1e-05 as 1e-5 and 0.0025 as 2.5e-3. Six significant
// digits hide the rounding in computed ticks (9.999999999999999e-06).
func shortSci(v float64) string {
	if v == 0 {
		return "0"
	}
	mant, exp, _ := strings.Cut(strconv.FormatFloat(v, 'e', 5, 64), "e")
	mant = strings.TrimSuffix(strings.TrimRight(mant, "0"), ".")
	e, _ := strconv.Atoi(exp)
	return mant + "e" + strconv.Itoa(e)
}

// keyEntry is one legend entry: a label and what its sample looks like.
type keyEntry struct {
	label string
	thumb plot.Thumbnailer
}

type thumbFunc func(c *draw.Canvas)

func (f thumbFunc) Thumbnail(c *draw.Canvas) { f(c) }

func lineThumb(col color.Color, dashes []vg.Length) plot.Thumbnailer {
	return thumbFunc(func(c *draw.Canvas) {
		y := c.Center().Y
		c.StrokeLine2(draw.LineStyle{Color: col, Width: vg.Points(2), Dashes: dashes}, c.Min.X, y, c.Max.X, y)
	})
}

// sans is the figures' font; gonum's default is a serif.
func sans(size vg.Length) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
}

func textStyle(size vg.Length) text.Style {
	return text.Style{Color: color.Black, Font: sans(size), Handler: plot.DefaultTextHandler}
}

// palette is matplotlib's tab10, stronger than plotutil's pastels; stages
// and ranked trials take its colours in order.
var palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {148, 103, 189, 255}, {140, 86, 75, 255},
	{227, 119, 194, 255}, {23, 190, 207, 255}, {188, 189, 34, 255}, {214, 39, 40, 255}, {127, 127, 127, 255},
}

func paletteColor(i int) color.Color { return palette[i%len(palette)] }

// shapes are the stages' markers, filled first so they stay visible.
var shapes = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PlusGlyph{},
}

// drawHeader writes a figure title and, below it, a one-line key centred
// across the figure, and returns the canvas left below them.
func drawHeader(c draw.Canvas, title string, key []keyEntry) draw.Canvas {
	pad := vg.Points(8)
	ts := textStyle(vg.Points(15))
	ts.XAlign, ts.YAlign = draw.XCenter, draw.YTop
	c.FillText(ts, vg.Point{X: c.Center().X, Y: c.Max.Y - pad}, title)
	y := c.Max.Y - pad - ts.Height(title) - pad

	ks := textStyle(vg.Points(11))
	ks.YAlign = draw.YTop
	thumbW, gap := vg.Points(24), vg.Points(6)
	var total vg.Length
	for i, e := range key {
		total += thumbW + gap + ks.Width(e.label)
		if i > 0 {
			total += 3 * gap
		}
	}
	x := c.Center().X - total/2
	h := ks.Height("M")
	for _, e := range key {
		icon := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: x, Y: y - h}, Max: vg.Point{X: x + thumbW, Y: y}}}
		e.thumb.Thumbnail(&icon)
		x += thumbW + gap
		c.FillText(ks, vg.Point{X: x, Y: y}, e.label)
		x += ks.Width(e.label) + 3*gap
	}
	c.Max.Y = y - h - pad
	return c
}

// drawWithLegend draws p with its legend in a column to the right of the
// axes, where it cannot hide a point.
func drawWithLegend(c draw.Canvas, p *plot.Plot, key []keyEntry) {
	l := plot.NewLegend()
	l.TextStyle = textStyle(vg.Points(11))
	l.Top, l.Left = true, true
	l.Padding = vg.Points(4)
	l.ThumbnailWidth = vg.Points(24)
	for _, e := range key {
		l.Add(e.label, e.thumb)
	}
	pad := vg.Points(10)
	c = draw.Crop(c, pad, -pad, pad, -pad)
	width := l.Rectangle(c).Size().X + 2*pad
	pc := draw.Crop(c, 0, -width, 0, 0)
	p.Draw(pc)
	dc := p.DataCanvas(pc)
	lc := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: pc.Max.X + 2*pad, Y: dc.Min.Y},
		Max: vg.Point{X: c.Max.X, Y: dc.Max.Y},
	}}
	l.Draw(lc)
}
