package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/report"
	"github.com/sweep-ml/sweep/pkg/search"
	"github.com/sweep-ml/sweep/pkg/store"
)

// The live progress, the plan and the report format a parameter the same
// way: one function, whatever the value.
func TestParamsFormattedAsInReports(t *testing.T) {
	params := map[string]float64{"lambda": 1e-4, "hidden": 100, "records": 2e9, "eta_max": 0.05}
	want := "coarse eta_max=5.00e-02 hidden=100 lambda=1.00e-04 records=2.00e+09"
	if got := describe(&search.PlannedTrial{Stage: &config.Stage{Name: "coarse"}, Params: params}); got != want {
		t.Errorf("progress describes a trial as %q, want %q", got, want)
	}
	for name, v := range params {
		if got, want := report.FormatParam(name, v), strings.Split(strings.SplitAfter(want, name+"=")[1], " ")[0]; got != want {
			t.Errorf("report.FormatParam(%s, %g) = %q, progress shows %q", name, v, got, want)
		}
	}
	st := &config.Stage{Name: "coarse", Sampler: "grid", Trials: 1}
	plan := []search.PlannedStage{{Plan: &search.StagePlan{Stage: st, Trials: []search.PlannedTrial{
		{ID: "0123456789abcdef", Stage: st, Params: params},
	}}}}
	var b bytes.Buffer
	if err := writePlan(&b, plan); err != nil {
		t.Fatal(err)
	}
	for _, cell := range []string{"1.00e-04", "100", "5.00e-02", "2.00e+09"} {
		if !strings.Contains(b.String(), " "+cell) {
			t.Errorf("plan lacks %q:\n%s", cell, b.String())
		}
	}
}

// sweep status lists statuses in the order every report does.
func TestStatusColumnsInReportOrder(t *testing.T) {
	counts := map[store.Status]int{}
	var names []string
	for i, s := range store.Statuses {
		counts[s] = i + 1
		names = append(names, string(s))
	}
	var b bytes.Buffer
	if err := writeSnapshot(&b, store.StatusSnapshot{Stages: []store.StageCounts{{Name: "s", Total: 28, Counts: counts}}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if got, want := strings.Fields(lines[0]), append([]string{"stage", "trials"}, names...); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("status header %q, want %q", got, want)
	}
	if got := strings.Join(strings.Fields(lines[1]), " "); got != "s 28 1 2 3 4 5 6 7" {
		t.Errorf("status row %q, want the counts in order", got)
	}
	// A sweep without halving stages has no pruned or promoted column.
	b.Reset()
	if err := writeSnapshot(&b, store.StatusSnapshot{Stages: []store.StageCounts{{Name: "s", Total: 3, Counts: map[store.Status]int{store.Done: 3}}}}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(strings.Split(b.String(), "\n")[0]); strings.Join(got, " ") != "stage trials done diverged failed running pending" {
		t.Errorf("status header without halving %q", got)
	}
	line := report.Summary{Total: 28, Counts: counts}.CountLine()
	if want := "28 trials: 1 done, 2 pruned, 3 promoted, 4 diverged, 5 failed, 6 running, 7 pending"; line != want {
		t.Errorf("report count line %q, want %q", line, want)
	}
}
