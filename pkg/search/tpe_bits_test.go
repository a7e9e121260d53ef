package search

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// tpeDigest is the bits of three rounds of proposals over every kind of
// dimension, each round ranking all points so far by their distance to a
// fixed point (exact float operations only, so the ranking itself is the
// same everywhere), and of the values they map to.
func tpeDigest(t *testing.T) string {
	st := stage(config.TPESampler, 28,
		config.Dimension{Name: "batch_size", Kind: config.Choice, Values: []float64{50, 100, 200}},
		config.Dimension{Name: "eta_max", Kind: config.LogUniform, Lo: 0.003, Hi: 0.7},
		config.Dimension{Name: "hidden", Kind: config.Int, Lo: 10, Hi: 100},
		config.Dimension{Name: "lambda", Kind: config.Log10, Lo: -6, Hi: -1})
	ax, err := axes(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	units, err := sobolUnits(st, 7, ax, 10)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for round := 1; round <= 3; round++ {
		ranked := slices.Clone(units)
		dist := func(u []float64) float64 { return math.Abs(u[1]-0.62) + math.Abs(u[3]-0.21) + math.Abs(u[2]-0.4) }
		slices.SortStableFunc(ranked, func(a, b []float64) int { return cmpFloat(dist(a), dist(b)) })
		rng := rand.New(rand.NewPCG(mix("tpe", 7, st.Name, uint64(round))))
		for _, u := range proposeRound(ax, ranked, tpeGood(len(ranked), len(ranked)-2), 6, rng) {
			for j, a := range ax {
				fmt.Fprintf(&b, "%016x=%016x ", math.Float64bits(u[j]), math.Float64bits(a.at(u[j])))
			}
			b.WriteString("\n")
			units = append(units, u)
		}
	}
	return b.String()
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Proposals are trial ids, so they must be the same bits on every CPU:
// testdata/tpe-proposals.golden holds them (go test -update rewrites it),
// and CI checks them with GOAMD64=v1 and v3 and for arm64 under qemu, as
// it checks the training numerics.
func TestTPEProposalsGolden(t *testing.T) {
	got := tpeDigest(t)
	path := filepath.Join("testdata", "tpe-proposals.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if got != string(want) {
		g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(g), len(w)) {
			if g[i] != w[i] {
				t.Fatalf("proposal %d differs from %s:\n got %s\nwant %s", i, path, g[i], w[i])
			}
		}
		t.Fatalf("%d proposals, %s has %d", len(g), path, len(w))
	}
}
