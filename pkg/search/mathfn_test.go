package search

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/config"
)

// pointsDigest is the bits of every value the samplers give for a few
// stages with log dimensions, and of a refined range, in one string.
func pointsDigest(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	add := func(v float64) { fmt.Fprintf(&b, "%016x ", math.Float64bits(v)) }
	for _, sampler := range []config.Sampler{config.Grid, config.Random, config.Sobol} {
		st := stage(sampler, 40,
			config.Dimension{Name: "lambda", Kind: config.Log10, Lo: -6, Hi: -1},
			config.Dimension{Name: "eta_max", Kind: config.LogUniform, Lo: 0.003, Hi: 0.7})
		n := 40
		if sampler == config.Grid {
			n = 12
		}
		for _, p := range points(t, st, 7, n) {
			add(p["lambda"])
			add(p["eta_max"])
		}
	}
	r := RefineRange([]float64{3.3e-5, 7.1e-4, 0.0123}, config.Log10, 0.25)
	add(r.Lo)
	add(r.Hi)
	return b.String()
}

// Sampled values are trial settings, so a trial id is the same on every
// CPU only if they are: here, the same with and without the CPU's FMA (a
// child process with GODEBUG=cpu.fma=off, which switches math.Exp to its
// other path).
func TestPointsIndependentOfFMA(t *testing.T) {
	if os.Getenv("SWEEP_POINTS_DIGEST") == "1" {
		fmt.Println("digest:" + pointsDigest(t))
		return
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("GODEBUG=cpu.fma changes math's path on amd64 only")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPointsIndependentOfFMA$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SWEEP_POINTS_DIGEST=1", "GODEBUG=cpu.fma=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	_, child, ok := strings.Cut(string(out), "digest:")
	child, _, _ = strings.Cut(child, "\n")
	if !ok {
		t.Fatalf("child printed no digest:\n%s", out)
	}
	if want := pointsDigest(t); strings.TrimSpace(child) != strings.TrimSpace(want) {
		w, c := strings.Fields(want), strings.Fields(child)
		for i := range min(len(w), len(c)) {
			if w[i] != c[i] {
				t.Fatalf("sampled values differ without FMA: value %d of %d is %s with, %s without", i, len(w), w[i], c[i])
			}
		}
		t.Fatalf("sampled values differ without FMA: %d values with, %d without", len(w), len(c))
	}
}
