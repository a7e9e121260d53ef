package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/config"
)

func TestSetMemoryLimit(t *testing.T) {
	if old, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		os.Unsetenv("GOMEMLIMIT")
		t.Cleanup(func() { os.Setenv("GOMEMLIMIT", old) })
	}
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	data := make([]float32, 50<<20) // 200 MB of "data set", live across the call
	limit := setMemoryLimit(2, 50, 3072)
	runtime.KeepAlive(data)
	if limit == 0 {
		t.Fatal("no limit set")
	}
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Fatalf("runtime limit %d, setMemoryLimit returned %d", got, limit)
	}
	if live := int64(len(data) * 4); limit < live+live/8 || limit > 2*live {
		t.Fatalf("limit %d MB for %d MB live: want between 9/8 and twice what is live", limit>>20, live>>20)
	}
}

func TestMaxHidden(t *testing.T) {
	cfg, err := config.Parse(strings.NewReader(`
model: {hidden: 50}
search:
  stages:
    - {name: a, sampler: grid, trials: 2, space: {hidden: {int: [10, 120]}}}
    - {name: b, best: 1, after: a, model: {hidden: 80}}
`), config.ParseOptions{File: "m.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if got := maxHidden(cfg); got != 120 {
		t.Fatalf("maxHidden = %d, want 120, the top of stage a's range", got)
	}
}
