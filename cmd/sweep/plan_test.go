package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/search"
	"github.com/sweep-ml/sweep/pkg/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// planSweep is three dependent stages on the embedded data, small enough to
// run in a test.
const planSweep = `
name: plan
seed: 3
data: {source: embedded}
model: {hidden: 8}
training: {batch_size: 150, step_size: 20, cycles: 1, records_per_cycle: 2}
search:
  stages:
    - name: coarse
      sampler: grid
      trials: 3
      space: {lambda: {log10: [-4, -2]}}
    - name: fine
      after: coarse
      sampler: random
      trials: 2
      space: {lambda: {log10: refine}}
      refine: {top: 2, margin: 0.25}
    - name: final
      after: fine
      best: 1
      training: {cycles: 2}
`

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", path, got)
	}
}

func TestPlanOutput(t *testing.T) {
	cfg, err := config.Parse(strings.NewReader(planSweep), config.ParseOptions{File: "plan.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	runner, err := search.NewRunner(t.Context(), cfg, search.RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var before bytes.Buffer
	stages, err := runner.Plan(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := writePlan(&before, stages); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan-new.golden", before.Bytes())

	// After the run every stage is known and stored. The refined range and
	// so the fine trials depend on results, which are the same with every
	// kernel on every CPU.
	path := filepath.Join(t.TempDir(), "plan.db")
	db, err := store.Open(path, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := runner.Prepare(db); err != nil {
		t.Fatal(err)
	}
	if err := runner.Run(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	var after bytes.Buffer
	if stages, err = runner.Plan(db); err != nil {
		t.Fatal(err)
	}
	if err := writePlan(&after, stages); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan-done.golden", after.Bytes())
}
