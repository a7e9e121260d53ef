package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/store"
)

// A tpe stage's startup trials (the first Derived.Startup it lists) are
// drawn apart from its proposed ones, in the accuracy against lambda plot;
// other stages are drawn as before.
func TestPlotSweepMarksTPEStartup(t *testing.T) {
	sweep := plotSweep{name: "tpe", stages: []plotStage{
		twoStages.stages[0],
		{name: "t", spec: `{"name":"t","sampler":"tpe","trials":5,"tpe":{"startup":3,"batch":2}}`,
			derived: `{"startup":3,"proposed":[{"lambda":0.5},{"lambda":0.25}]}`, trials: []plotTrial{
				{1e-5, 0.81, store.Done, nil}, {1e-3, 0.83, store.Done, nil}, {1e-1, 0.70, store.Done, nil},
				{2e-3, 0.85, store.Done, nil}, {5e-3, 0, store.Diverged, nil},
			}},
	}}
	db := sweep.build(t)
	d, err := readSweepPlotData(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(d.startup["t"]); n != 3 {
		t.Fatalf("%d startup points of stage t, want 3", n)
	}
	if _, ok := d.startup["coarse"]; ok {
		t.Fatal("the grid stage has startup points")
	}
	var b bytes.Buffer
	if err := PlotSweep(t.Context(), &b, "svg", db); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	for _, want := range []string{">coarse (3)<", ">t startup (3)<", ">t proposed (1)<", ">diverged (1)<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if strings.Contains(svg, ">t (") {
		t.Error("the tpe stage also has an undivided legend entry")
	}
}
