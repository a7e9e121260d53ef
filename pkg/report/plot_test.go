package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	_ "image/png"
	"maps"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// plotSweep describes a synthetic sweep for the plot and HTML tests: stages
// of trials, each trained for two triangular cycles of 2 epochs of 20
// batches (n_s = 40 updates), recorded 10 times per cycle like the real
// runner does.
type plotSweep struct {
	name   string
	stages []plotStage
}

type plotStage struct {
	name    string
	spec    string // Stage.Spec JSON
	derived string // Stage.Derived JSON
	trials  []plotTrial
}

type plotTrial struct {
	lambda float64
	acc    float64 // final validation accuracy
	status store.Status
	params map[string]float64 // searched besides lambda
}

const (
	plotBatches = 20 // per epoch
	plotNS      = 2 * plotBatches
)

func plotConfig(lambda float64) train.Config {
	c := train.DefaultConfig()
	c.Lambda = lambda
	return c
}

// build writes the sweep into a new database and returns it open.
func (s plotSweep) build(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "plot.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.PutSweep(store.Sweep{Name: s.name, DataFingerprint: "fp-0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	for si, st := range s.stages {
		var ids []string
		var created []store.Trial // stored with the stage, as the runner does
		for ti, pt := range st.trials {
			id := fmt.Sprintf("%02d%02d%s", si, ti, strings.Repeat("ab", 10))
			ids = append(ids, id)
			cfg := plotConfig(pt.lambda)
			settings, _ := json.Marshal(map[string]any{
				"hidden": cfg.Hidden, "batch_size": cfg.BatchSize, "eta_min": cfg.EtaMin, "eta_max": cfg.EtaMax,
				"step_size": "2 epochs", "cycles": cfg.Cycles, "lambda": pt.lambda, "records_per_cycle": 10,
				"schedule": "triangular", "gamma": cfg.Gamma, "shuffle": false, "precision": "float64", "seed": 1,
			})
			params := map[string]float64{"lambda": pt.lambda}
			maps.Copy(params, pt.params)
			tr := store.Trial{ID: id, Stage: st.name, Index: ti, Params: params,
				Config: settings, Status: pt.status, Seconds: 1.5 + float64(ti)}
			if pt.status == store.Pending || pt.status == store.Failed {
				created = append(created, tr)
				continue
			}
			h := plotHistory(cfg, pt.acc, pt.status == store.Diverged)
			last := h[len(h)-1]
			tr.Final = store.Metrics{ValAccuracy: &last.ValAccuracy, ValCost: &last.ValCost, TrainAccuracy: &last.TrainAccuracy}
			var w *store.Weights
			if pt.status == store.Done {
				test := pt.acc - 0.01
				tr.Final.TestAccuracy = &test
				w = &store.Weights{M: 1, D: 1, K: 1, W1: []float64{1}, B1: []float64{0}, W2: []float64{1}, B2: []float64{0}}
			} else {
				tr.DivergedStep = last.Step
			}
			if err := db.FinishTrial(tr, h, w); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.PutStage(store.Stage{Name: st.name, Index: si, Spec: json.RawMessage(st.spec),
			Derived: json.RawMessage(st.derived), TrialIDs: ids}, created...); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// plotHistory is a plausible history ending at accuracy acc, eta as the
// trainer records it. Records are 7 steps apart, so none falls on a peak of
// the schedule (40, 120). A diverging one ends with non-finite costs half
// way.
func plotHistory(cfg train.Config, acc float64, diverge bool) []store.Record {
	last := 2 * cfg.Cycles * plotNS
	var steps []int
	for step := 0; step < last; step += 7 {
		steps = append(steps, step)
	}
	var h []store.Record
	for _, step := range append(steps, last) {
		f := 1 - math.Exp(-float64(step)/30)
		if step == last {
			f = 1
		}
		r := store.Record{Step: step, Epoch: float64(step) / plotBatches, Eta: train.Eta(cfg, plotNS, step),
			TrainCost: 2.3 - 1.8*f + cfg.Lambda, TrainLoss: 2.3 - 1.8*f, TrainAccuracy: 0.1 + (acc+0.04-0.1)*f,
			ValCost: 2.3 - 1.7*f + cfg.Lambda, ValLoss: 2.3 - 1.7*f, ValAccuracy: 0.1 + (acc-0.1)*f}
		if diverge && step >= 2*plotNS {
			r.TrainCost, r.ValCost, r.TrainLoss, r.ValLoss = math.Inf(1), math.NaN(), math.Inf(1), math.NaN()
			h = append(h, r)
			break
		}
		h = append(h, r)
	}
	return h
}

// twoStages is a coarse grid and a fine stage around its best, with a
// diverged and a pending trial.
var twoStages = plotSweep{name: "demo", stages: []plotStage{
	{name: "coarse", spec: `{"name":"coarse","sampler":"grid","trials":3}`, derived: `{}`, trials: []plotTrial{
		{1e-4, 0.84, store.Done, nil}, {1e-3, 0.86, store.Done, nil}, {1e-2, 0.80, store.Done, nil},
	}},
	{name: "fine", spec: `{"name":"fine","sampler":"random","trials":4,"after":"coarse"}`,
		derived: `{"ranges":{"lambda":[-3.5,-2.5]},"from":["0001abababababababababab"]}`, trials: []plotTrial{
			{5e-4, 0.865, store.Done, nil}, {2e-3, 0.855, store.Done, nil}, {8e-4, 0, store.Diverged, nil}, {3e-3, 0, store.Pending, nil},
		}},
}}

func TestPlotPNGSize(t *testing.T) {
	db := twoStages.build(t)
	tr, err := db.Trial("0100" + strings.Repeat("ab", 10))
	if err != nil {
		t.Fatal(err)
	}
	h, err := db.History(tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	for name, draw := range map[string]func(*bytes.Buffer) error{
		"trial": func(b *bytes.Buffer) error { return PlotTrial(b, "png", tr, h) },
		"sweep": func(b *bytes.Buffer) error { return PlotSweep(t.Context(), b, "png", db) },
		"top":   func(b *bytes.Buffer) error { return PlotTop(t.Context(), b, "png", db, 3) },
	} {
		var b bytes.Buffer
		if err := draw(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cfg, format, err := image.DecodeConfig(&b)
		if err != nil || format != "png" {
			t.Fatalf("%s: not a PNG: %s, %v", name, format, err)
		}
		if cfg.Width < 800 || cfg.Height < 500 {
			t.Errorf("%s: %dx%d pixels, want at least 800x500", name, cfg.Width, cfg.Height)
		}
	}
}

func TestPlotSVGText(t *testing.T) {
	db := twoStages.build(t)
	best := "0100" + strings.Repeat("ab", 10)
	tr, err := db.Trial(best)
	if err != nil {
		t.Fatal(err)
	}
	h, err := db.History(best)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		draw func(*bytes.Buffer) error
		want []string
	}{
		{"trial", func(b *bytes.Buffer) error { return PlotTrial(b, "svg", tr, h) },
			[]string{"trial 0100abab · stage fine · λ = 5.00e-04 · val acc 86.50%", "training", "validation",
				"update step", "cost", "loss", "accuracy (%)", "learning rate", "η"}},
		{"sweep", func(b *bytes.Buffer) error { return PlotSweep(t.Context(), b, "svg", db) },
			[]string{"sweep demo: validation accuracy against λ", "λ (L2 penalty)", "validation accuracy (%)",
				"coarse (3)", "fine (2)", "diverged (1)", "best (0100abab)", "best: 86.50%, λ = 5.00e-04", ">1e-4<", ">1e-3<"}},
		{"top", func(b *bytes.Buffer) error { return PlotTop(t.Context(), b, "svg", db, 2) },
			[]string{"sweep demo: validation accuracy of the 2 best trials", "update step", "validation accuracy (%)",
				"#1 0100abab fine, λ = 5.00e-04: 86.50%", "#2 0001abab coarse, λ = 1.00e-03: 86.00%"}},
	} {
		var b bytes.Buffer
		if err := tc.draw(&b); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		svg := b.String()
		if !strings.Contains(svg, "<svg") {
			t.Fatalf("%s: not an SVG:\n%.200s", tc.name, svg)
		}
		for _, s := range tc.want {
			if !strings.Contains(svg, s) {
				t.Errorf("%s: SVG lacks %q", tc.name, s)
			}
		}
	}
}

func TestPlotTop(t *testing.T) {
	db := twoStages.build(t)
	d, err := readSweepPlotData(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	// Only done trials have curves, however many are asked for.
	curves, err := topCurves(t.Context(), db, d.rows, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range curves {
		got = append(got, fmt.Sprintf("%d:%s", c.rank, ShortID(c.row.ID)))
	}
	if want := "1:0100abab 2:0001abab 3:0101abab 4:0000abab 5:0002abab"; strings.Join(got, " ") != want {
		t.Errorf("top curves %s, want %s", strings.Join(got, " "), want)
	}
}

func TestPlotErrors(t *testing.T) {
	db := twoStages.build(t)
	pending, err := db.Trial("0103" + strings.Repeat("ab", 10))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := PlotTrial(&b, "png", pending, nil); err == nil || !strings.Contains(err.Error(), "no history") {
		t.Errorf("pending trial: %v, want a no-history error", err)
	}
	if err := PlotSweep(t.Context(), &b, "jpeg", db); err == nil || !strings.Contains(err.Error(), `unknown plot format "jpeg"`) {
		t.Errorf("jpeg: %v", err)
	}
	empty := plotSweep{name: "empty", stages: []plotStage{{name: "s", spec: `{}`, derived: `{}`,
		trials: []plotTrial{{1e-3, 0, store.Pending, nil}}}}}.build(t)
	if err := PlotSweep(t.Context(), &b, "png", empty); err == nil {
		t.Error("a sweep without results plotted without error")
	}
	if err := PlotTop(t.Context(), &b, "png", empty, 5); err == nil {
		t.Error("a sweep without finished trials plotted curves without error")
	}
}

// A diverged trial's non-finite costs are left out, not an error.
func TestPlotDivergedTrial(t *testing.T) {
	db := twoStages.build(t)
	tr, err := db.Trial("0102" + strings.Repeat("ab", 10))
	if err != nil {
		t.Fatal(err)
	}
	h, err := db.History(tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := PlotTrial(&b, "svg", tr, h); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "diverged at step 84") {
		t.Error("diverged trial's title does not say where it diverged")
	}
}

// The schedule is recomputed at every corner, so it passes through each
// recorded learning rate (it is linear between corners) and peaks at
// eta_max, which the sparse records miss.
func TestEtaCurve(t *testing.T) {
	db := twoStages.build(t)
	tr, err := db.Trial("0000" + strings.Repeat("ab", 10))
	if err != nil {
		t.Fatal(err)
	}
	h, err := db.History(tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	curve := etaCurve(tr, h)
	at := func(step float64) float64 {
		for i := 1; i < len(curve); i++ {
			if a, b := curve[i-1], curve[i]; a.X <= step && step <= b.X {
				return a.Y + (b.Y-a.Y)*(step-a.X)/(b.X-a.X)
			}
		}
		return math.NaN()
	}
	for _, r := range h {
		if got := at(float64(r.Step)); math.Abs(got-r.Eta) > 1e-12 {
			t.Errorf("curve at step %d is %g, recorded %g", r.Step, got, r.Eta)
		}
	}
	peaks := 0
	for _, p := range curve {
		if p.Y == train.DefaultConfig().EtaMax {
			peaks++
		}
	}
	if peaks != 2 {
		t.Errorf("curve %v peaks at eta_max %d times, want 2", curve, peaks)
	}
	recorded := 0
	for _, r := range h {
		if r.Eta == train.DefaultConfig().EtaMax {
			recorded++
		}
	}
	if recorded == 2 {
		t.Fatal("the records hit both peaks; the test proves nothing")
	}

	// Without readable settings the recorded values are what there is.
	tr.Config = nil
	if got := etaCurve(tr, h); len(got) != len(h) || got[3] != (plotter.XY{X: float64(h[3].Step), Y: h[3].Eta}) {
		t.Errorf("fallback curve %v, want the records", got)
	}
}

func TestSchedule(t *testing.T) {
	h := []store.Record{{Step: 0}, {Step: 45, Epoch: 0.5}}
	for _, tc := range []struct {
		config string
		ns     int
		ok     bool
	}{
		{`{"eta_min":1e-5,"eta_max":0.1,"step_size":"2 epochs"}`, 180, true},
		{`{"eta_min":1e-5,"eta_max":0.1,"step_size":"1 epoch"}`, 90, true},
		{`{"eta_min":1e-5,"eta_max":0.1,"step_size":500}`, 500, true},
		{`{"eta_min":1e-5,"eta_max":0.1,"step_size":"2 fortnights"}`, 0, false},
		{`{"eta_max":0.1,"step_size":500}`, 0, false},
		{`not json`, 0, false},
	} {
		_, ns, ok := schedule(json.RawMessage(tc.config), h)
		if ns != tc.ns || ok != tc.ok {
			t.Errorf("schedule(%s) = %d, %v; want %d, %v", tc.config, ns, ok, tc.ns, tc.ok)
		}
	}
	if _, _, ok := schedule(json.RawMessage(`{"eta_min":0,"eta_max":0.1,"step_size":"2 epochs"}`), h[:1]); ok {
		t.Error("epochs resolved without a record to measure an epoch by")
	}
}

func TestTicks(t *testing.T) {
	labels := func(ts []plot.Tick) string {
		var out []string
		for _, tk := range ts {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		log    bool
		lo, hi float64
		want   string
	}{
		{false, 76.6, 88.3, "78 80 82 84 86 88"},
		{false, 0.25, 2.6, "0.5 1.0 1.5 2.0 2.5"},
		{false, 0, 1150, "0 200 400 600 800 1000"},
		{false, 1e-5, 0.1, "0.02 0.04 0.06 0.08 0.10"},
		{false, 0, 0.005, "0 1e-3 2e-3 3e-3 4e-3 5e-3"},
		{true, 1e-6, 1, "1e-6 1e-5 1e-4 1e-3 1e-2 1e-1 1e0"},
	} {
		if got := labels(ticks{log: tc.log}.Ticks(tc.lo, tc.hi)); got != tc.want {
			t.Errorf("ticks(%g, %g) = %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
	// Points within one decade still get labelled powers of ten around them.
	a := plot.Axis{Min: 2.4e-4, Max: 6.1e-4}
	decades(&a)
	if got := labels(ticks{log: true}.Ticks(a.Min, a.Max)); got != "1e-4 1e-3" {
		t.Errorf("one-decade axis is labelled %q", got)
	}
}
