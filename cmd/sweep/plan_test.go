package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/search"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
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
	cfg, err := search.Parse(strings.NewReader(planSweep), search.ParseOptions{File: "plan.yaml"})
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
	// so the fine trials depend on results, which are exact per kernel: the
	// FMA kernels (avx512, avx2-fma, and neon on arm64 under qemu) agree
	// bit for bit, so one golden file serves them all; the portable Go
	// kernel rounds differently (no fused multiply-add) and has none.
	kernel := train.Kernel()
	if kernel != "avx512" && kernel != "avx2-fma" && kernel != "neon" {
		t.Skipf("the %s kernel rounds unlike the FMA kernels plan-done.golden was made with", kernel)
	}
	t.Logf("kernel %s", kernel)
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

	// On an AVX-512 machine the avx2-fma path is checked too, in a child
	// process that sees no AVX-512 (golang.org/x/sys/cpu reads GODEBUG).
	if kernel == "avx512" && !*update {
		t.Run("avx2-fma", func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestPlanOutput$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "GODEBUG=cpu.avx512f=off")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("with GODEBUG=cpu.avx512f=off: %v\n%s", err, out)
			}
			if !bytes.Contains(out, []byte("kernel avx2-fma")) {
				t.Fatalf("GODEBUG=cpu.avx512f=off did not select the avx2-fma kernel:\n%s", out)
			}
		})
	}
}
