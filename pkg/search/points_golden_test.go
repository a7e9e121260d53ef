package search

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/train"
)

// TestPointsGolden pins every sampler's points, refined ranges, seed
// streams and the trial ids they give, bit for bit, so that the CI runs of
// this package at GOAMD64=v1 and v3 and for arm64 under qemu prove that a
// sweep plans the same trials on every CPU. The golden file was written on
// amd64; -update rewrites it.
func TestPointsGolden(t *testing.T) {
	dims := []config.Dimension{
		{Name: "lambda", Kind: config.Log10, Lo: -6.5, Hi: -0.75},
		{Name: "eta_max", Kind: config.LogUniform, Lo: 3e-3, Hi: 0.7},
		{Name: "gamma", Kind: config.Uniform, Lo: 0.9, Hi: 1},
		{Name: "hidden", Kind: config.Int, Lo: 10, Hi: 100},
		{Name: "batch_size", Kind: config.Choice, Values: []float64{50, 100, 200}},
	}
	var b strings.Builder
	for _, tc := range []struct {
		sampler config.Sampler
		n       int
	}{{config.Grid, 3}, {config.Random, 12}, {config.Sobol, 12}} {
		st := stage(tc.sampler, tc.n, dims...)
		pts, _, err := Points(st, 111, tc.n, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range pts {
			fmt.Fprintf(&b, "%s %d", tc.sampler, i)
			for _, name := range slices.Sorted(maps.Keys(p)) {
				fmt.Fprintf(&b, " %s=%s", name, strconv.FormatFloat(p[name], 'x', -1, 64))
			}
			tc := train.DefaultConfig()
			tc.Lambda, tc.EtaMax, tc.Gamma = p["lambda"], p["eta_max"], p["gamma"]
			tc.Hidden, tc.BatchSize = int(p["hidden"]), int(p["batch_size"])
			id, err := TrialID(tc, "fingerprint")
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, " id=%s\n", id)
		}
	}
	values := []float64{2.5e-5, 3.1e-4, 7.7e-3}
	for _, kind := range []config.DimKind{config.Log10, config.LogUniform, config.Uniform} {
		r := RefineRange(values, kind, 0.25)
		fmt.Fprintf(&b, "refine %s %s %s\n", kind, strconv.FormatFloat(r.Lo, 'x', -1, 64), strconv.FormatFloat(r.Hi, 'x', -1, 64))
	}
	for j := range 4 {
		fmt.Fprintf(&b, "seed %d %d\n", j, SeedStream(111, j))
	}

	const path = "testdata/points.golden"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestPointsGolden -update on amd64 to create it)", err)
	}
	if got := b.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("line %d differs from %s:\n got %s\nwant %s", i+1, path, gl[i], wl[i])
			}
		}
		t.Fatalf("%s: got %d lines, want %d", path, len(gl), len(wl))
	}
}
