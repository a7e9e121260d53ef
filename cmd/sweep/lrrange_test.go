package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rangeSweep is a range test on the embedded data, then a small grid that
// trains with the rates it derives, and a stage that sets its own eta_max.
const rangeSweep = tinyBase + `search:
  workers: 2
  stages:
    - name: range
      lr_range: {min: 1e-4, max: 1000, epochs: 1}
    - name: coarse
      sampler: grid
      trials: 2
      space:
        lambda: {log10: [-4, -2]}
    - name: own
      training: {eta_max: 0.01}
`

// A range stage through every command: plan before and after, run,
// report (text and json), show and plot.
func TestRangeSweepCommands(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(rangeSweep))
	golden(t, "plan-range-new.golden", []byte(mustSweep(t, dir, "run", "--plan", "c.yaml").stdout))
	mustSweep(t, dir, "run", "c.yaml")
	golden(t, "plan-range-done.golden", []byte(mustSweep(t, dir, "run", "--plan", "c.yaml").stdout))

	text := mustSweep(t, dir, "report").stdout
	if !strings.Contains(text, "range: LR range test, eta 1.00e-04 to 1.00e+03 over 1 epoch(s), derived eta_min ") {
		t.Errorf("report does not describe the range stage:\n%s", text)
	}
	var rows []struct {
		ID     string
		Stage  string
		Status string
		Config map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(mustSweep(t, dir, "report", "--format", "json").stdout), &rows); err != nil {
		t.Fatal(err)
	}
	var etaMin, etaMax string
	for _, line := range strings.Split(text, "\n") {
		if i := strings.Index(line, "derived eta_min "); i >= 0 {
			f := strings.Fields(strings.NewReplacer(",", " ").Replace(line[i:]))
			etaMin, etaMax = f[2], f[4]
		}
	}
	coarse := 0
	for _, r := range rows {
		switch r.Stage {
		case "range":
			if string(r.Config["schedule"]) != `"lr_range"` || string(r.Config["eta_max"]) != "1000" {
				t.Errorf("range trial config %v", r.Config)
			}
		case "own": // the stage's own override wins over the derived rate
			if !sameRate(t, r.Config["eta_min"], etaMin) || string(r.Config["eta_max"]) != "0.01" {
				t.Errorf("own trial trains with eta_min %s, eta_max %s; want %s and its own 0.01", r.Config["eta_min"], r.Config["eta_max"], etaMin)
			}
		case "coarse":
			coarse++
			if !sameRate(t, r.Config["eta_min"], etaMin) || !sameRate(t, r.Config["eta_max"], etaMax) || string(r.Config["schedule"]) != `"triangular"` {
				t.Errorf("coarse trial %s trains with eta_min %s, eta_max %s; the range stage derived %s, %s", r.ID, r.Config["eta_min"], r.Config["eta_max"], etaMin, etaMax)
			}
		}
	}
	if coarse != 2 {
		t.Fatalf("%d coarse trials in the report", coarse)
	}

	var rangeID string
	for _, r := range rows {
		if r.Stage == "range" {
			rangeID = r.ID
		}
	}
	show := mustSweep(t, dir, "show", rangeID[:8]).stdout
	if !strings.Contains(show, "LR range test") || !strings.Contains(show, "derived eta_min") {
		t.Errorf("show of the range trial:\n%s", show)
	}

	written := strings.Fields(mustSweep(t, dir, "plot", "-o", "p", "--format", "svg").stdout)
	want := filepath.Join("p", "lr-range-range.svg")
	found := false
	for _, w := range written {
		found = found || w == want
	}
	if !found {
		t.Fatalf("plot wrote %q, want %s among them", written, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, want))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<svg", "LR range test: stage range", "learning rate η (log scale)", "accuracy (%)", "loss", "derived η_min"} {
		if !strings.Contains(string(b), s) {
			t.Errorf("%s lacks %q", want, s)
		}
	}
}

// sameRate reports whether a json number is the rate the report printed
// with 4 significant digits.
func sameRate(t *testing.T, raw json.RawMessage, printed string) bool {
	t.Helper()
	var x float64
	if err := json.Unmarshal(raw, &x); err != nil {
		t.Fatalf("rate %s: %v", raw, err)
	}
	return fmtRate(x) == printed
}

// slowRange is a range test slow enough to be killed in the middle: 4500
// updates over 5 epochs, 100 records of both splits by a 128-unit network.
const slowRange = `name: slowrange
seed: 7
data: {source: embedded}
model: {hidden: 128}
training: {batch_size: 10, step_size: 20, cycles: 1, records_per_cycle: 4}
search:
  stages:
    - name: range
      lr_range: {min: 1e-5, max: 1, epochs: 5}
    - name: coarse
      sampler: grid
      trials: 2
      space:
        lambda: {log10: [-4, -2]}
`

// Killed with SIGKILL past the range test's checkpoint, the sweep resumes
// the range trial and ends as one never interrupted: the same results, so
// the same derived rates and later trials.
func TestRangeKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("trains several seconds")
	}
	ref := t.TempDir()
	writeFile(t, filepath.Join(ref, "c.yaml"), []byte(slowRange))
	mustSweep(t, ref, "run", "c.yaml")
	want := reportJSON(t, ref)

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(slowRange))
	p := startSweep(t, dir, "run", "c.yaml")
	db := filepath.Join(dir, "slowrange.db")
	deadline := time.Now().Add(60 * time.Second)
	killed := false
	for !killed && time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("sweep ended (exit %d) before it could be killed:\n%s", p.code, p.stderr)
		default:
		}
		var snap struct {
			Running []struct {
				Stage      string `json:"stage"`
				Step       int    `json:"step"`
				TotalSteps int    `json:"total_steps"`
			} `json:"running"`
		}
		if b, err := os.ReadFile(db + ".status"); err == nil && json.Unmarshal(b, &snap) == nil {
			for _, rt := range snap.Running {
				// Past the checkpoint at half the rise, before it diverges
				// (at 93% of its steps): over 5 epochs the window outlasts
				// the status file's one-second period.
				if rt.Stage == "range" && rt.Step > rt.TotalSteps*55/100 && rt.Step < rt.TotalSteps {
					if err := p.cmd.Process.Kill(); err != nil {
						t.Fatal(err)
					}
					killed = true
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !killed {
		t.Fatalf("the range trial was never seen past 60%%:\n%s", p.stderr)
	}
	p.wait(t, 5*time.Second)
	r := mustSweep(t, dir, "run", "c.yaml")
	if !strings.Contains(r.stderr, "resumed at step") {
		t.Errorf("the rerun resumed no trial from a checkpoint:\n%s", r.stderr)
	}
	if got := reportJSON(t, dir); got != want {
		t.Errorf("report after a killed range test differs from an uninterrupted run:\ngot:\n%s\nwant:\n%s", got, want)
	}
}
