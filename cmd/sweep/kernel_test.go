package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// Every kernel this CPU runs trains the same network: train --json names
// the kernel and reports the same test cost to the last digit.
func TestTrainKernelFlag(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tiny.yaml"), []byte(tinyBase))
	var first json.RawMessage
	for _, k := range train.Kernels() {
		r := mustSweep(t, dir, "train", "tiny.yaml", "--json", "--kernel", k)
		out := decodeObject(t, "train --json", []byte(r.stdout))
		var got string
		if err := json.Unmarshal(out["kernel"], &got); err != nil || got != k {
			t.Errorf("--kernel %s: train --json says kernel %s", k, out["kernel"])
		}
		t.Logf("kernel %s: test_cost %s", k, out["test_cost"])
		if first == nil {
			first = out["test_cost"]
		} else if string(out["test_cost"]) != string(first) {
			t.Errorf("--kernel %s: test cost %s, %s with %s", k, out["test_cost"], first, train.Kernels()[0])
		}
	}
}

// A kernel the CPU cannot run, or that does not exist, is one line on
// stderr and a usage exit code, from train and run alike, before any data
// is loaded or database made.
func TestKernelFlagRejects(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tiny.yaml"), []byte(tinySweep))
	for _, k := range []string{"neon", "avx512", "avx2", "sse", "avx2-fma"} {
		if slices.Contains(train.Kernels(), k) {
			continue
		}
		for _, cmd := range []string{"train", "run"} {
			r := sweep(t, dir, cmd, "tiny.yaml", "--kernel", k)
			line := oneErrorLine(t, r)
			if r.code != exitUsage || !strings.Contains(line, "kernel "+k) {
				t.Errorf("%s --kernel %s: exit %d, %q; want exit %d naming the kernel", cmd, k, r.code, line, exitUsage)
			}
		}
	}
	if got := listDir(t, dir); len(got) != 1 {
		t.Errorf("a rejected run left files: %v", got)
	}
}

// sweep run --kernel stores the kernel with every trial.
func TestRunStoresKernel(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tiny.yaml"), []byte(tinySweep))
	k := train.Kernels()[len(train.Kernels())-1] // generic: not the default where there is a choice
	mustSweep(t, dir, "run", "tiny.yaml", "--kernel", k)
	db, err := store.Open(filepath.Join(dir, "tiny.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	if err := db.ForEachTrial(func(tr store.Trial) error {
		n++
		if tr.Kernel != k {
			t.Errorf("trial %s: kernel %q, want %q", tr.ID, tr.Kernel, k)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no trials stored")
	}
}
