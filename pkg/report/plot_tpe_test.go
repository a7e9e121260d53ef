package report

import (
	"bytes"
	"fmt"
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

	// With halving, a startup point promoted to the next rung is a startup
	// point there too: its continuation shares its point, not its id, and
	// the promoted trial itself is not a row of the ranking.
	halving := plotSweep{name: "tpeh", stages: []plotStage{
		{name: "th", spec: `{"name":"th","sampler":"tpe","trials":4,"tpe":{"startup":2,"batch":2},"halving":{"min_cycles":1,"eta":2}}`,
			derived: `{"startup":2,"proposed":[{"lambda":0.5},{"lambda":0.6}]}`, trials: []plotTrial{
				{1e-4, 0.80, store.Done, nil}, {1e-2, 0.70, store.Done, nil}, // startup, rung 1
				{1e-3, 0.79, store.Done, nil}, {3e-3, 0.72, store.Done, nil}, // proposed, rung 1
				{1e-4, 0.86, store.Done, nil}, {1e-3, 0.84, store.Done, nil}, // rung 2
			}},
	}}
	hdb := halving.build(t)
	id := func(i int) string { return fmt.Sprintf("00%02d%s", i, strings.Repeat("ab", 10)) }
	if err := hdb.MarkRung([]string{id(0), id(2)}, []string{id(1), id(3)}); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := PlotSweep(t.Context(), &b, "svg", hdb); err != nil {
		t.Fatal(err)
	}
	svg = b.String()
	for _, want := range []string{">th startup (1)<", ">th proposed (1)<", ">pruned at a lower rung (2)<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("halving: SVG lacks %q", want)
		}
	}
}
