package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// halvingSweep is tinyBase over 4 cycles with a halving stage of 6 sobol
// points at rungs of 1, 2 and 4 cycles.
var halvingSweep = strings.Replace(tinyBase, "cycles: 1", "cycles: 4", 1) + `search:
  workers: 2
  stages:
    - name: sh
      sampler: sobol
      trials: 6
      space:
        lambda: {log10: [-4, -0.5]}
      halving: {min_cycles: 1, eta: 2}
`

// A halving stage through the commands: the plan shows its rungs, the run
// fills them, and report, status, show and plot tell pruned from done.
func TestHalvingCommands(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sh.yaml"), []byte(halvingSweep))

	r := mustSweep(t, dir, "run", "sh.yaml", "--plan")
	for _, want := range []string{
		"stage sh: sobol, 6 trials, halving from 1 cycle by 2",
		"rung 1, 1 cycle: 6 trials, decided when all are finished",
		"rung 2, 2 cycles: up to 3 trials, once the rung below is decided",
		"rung 3, 4 cycles: up to 2 trials, once the rung below is decided",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, r.stdout)
		}
	}

	r = mustSweep(t, dir, "run", "sh.yaml")
	for _, want := range []string{
		"stage sh: 9 trials, 3 to train\n  rung 2 of 3, 2 cycles: 3 trials, the best of rung 1's 6\n",
		"stage sh: 11 trials, 2 to train\n  rung 3 of 3, 4 cycles: 2 trials, the best of rung 2's 3\n",
		"4 cycles) resumed at step 80/160",
	} {
		if !strings.Contains(r.stderr+r.stdout, want) {
			t.Errorf("run output lacks %q:\n%s", want, r)
		}
	}
	r = mustSweep(t, dir, "run", "sh.yaml", "--plan")
	for _, want := range []string{
		"rung 1, 1 cycle: 6 trials, decided: 3 promoted, 3 pruned",
		"rung 2, 2 cycles: 3 trials, decided: 2 promoted, 1 pruned",
		"rung 3, 4 cycles: 2 trials\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan after the run lacks %q:\n%s", want, r.stdout)
		}
	}

	r = mustSweep(t, dir, "report", "--format", "json")
	var rows []struct {
		ID            string `json:"id"`
		Status        string `json:"status"`
		CyclesTrained int    `json:"cycles_trained"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	var order []string
	for _, row := range rows {
		order = append(order, fmt.Sprintf("%s@%d", row.Status, row.CyclesTrained))
	}
	// Done first, then pruned, higher rungs first; promoted trials are
	// repeated by their continuations and left out.
	if got, want := strings.Join(order, " "), "done@4 done@4 pruned@2 pruned@1 pruned@1 pruned@1"; got != want {
		t.Errorf("report order %q, want %q", got, want)
	}
	r = mustSweep(t, dir, "report", "--status", "promoted", "--format", "json")
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 5 {
		t.Errorf("report --status promoted: %d rows (%v), want 5", len(rows), err)
	}

	r = mustSweep(t, dir, "report")
	if !regexp.MustCompile(`(?m)^1\s+\w+\s+sh\s+done\s+\S+\s+4\s`).MatchString(r.stdout) ||
		!strings.Contains(r.stdout, "11 trials: 2 done, 4 pruned, 5 promoted") {
		t.Errorf("report table lacks the cycles column or the counts:\n%s", r.stdout)
	}
	r = mustSweep(t, dir, "status")
	if !regexp.MustCompile(`(?m)^sh\s+11\s+2\s+4\s+5\s+0\s+0\s+0\s+0$`).MatchString(r.stdout) {
		t.Errorf("status:\n%s", r.stdout)
	}
	r = mustSweep(t, dir, "show", rows[0].ID)
	if !regexp.MustCompile(`(?m)^status\s+promoted\n^cycles\s+[12]$`).MatchString(r.stdout) {
		t.Errorf("show of a promoted trial:\n%s", r.stdout)
	}

	r = mustSweep(t, dir, "plot", "-o", "plots")
	if !strings.Contains(r.stdout, filepath.Join("plots", "halving-sh.png")) {
		t.Errorf("plot draws no halving figure:\n%s", r.stdout)
	}
	if fi, err := os.Stat(filepath.Join(dir, "plots", "halving-sh.png")); err != nil || fi.Size() < 1000 {
		t.Errorf("halving plot: %v", err)
	}
}
