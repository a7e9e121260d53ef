package search

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/config"
)

// FuzzPoints checks that every stage of a valid config produces its points
// (capped to keep runs fast).
func FuzzPoints(f *testing.F) {
	seeds, _ := filepath.Glob("../../configs/*.yaml")
	broken, _ := filepath.Glob("../config/testdata/*.yaml")
	for _, name := range append(seeds, broken...) {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, src string) {
		c, err := config.Parse(strings.NewReader(src), config.ParseOptions{File: "f.yaml", BaseDir: "/cfg"})
		if err != nil || c.Validate() != nil {
			return
		}
		for i := range c.Search.Stages {
			st := &c.Search.Stages[i]
			if st.Best > 0 || gridBound(st) > 1000 {
				continue
			}
			refined := map[string]config.Range{}
			for _, d := range st.Space {
				refined[d.Name] = config.Range{Lo: -3, Hi: -1}
			}
			if st.TPE != nil {
				if _, _, err := Points(st, c.Seed, 1, refined); !errors.Is(err, ErrNeedsResults) {
					t.Errorf("stage %s: Points of a tpe stage: %v, want ErrNeedsResults", st.Name, err)
				}
				checkProposals(t, st, c.Seed, refined, min(st.TPE.Startup, 100))
				continue
			}
			if _, _, err := Points(st, c.Seed, min(st.Trials, 100), refined); err != nil {
				t.Errorf("stage %s: %v", st.Name, err)
			}
		}
	})
}

// gridBound bounds the number of a grid stage's points from above.
func gridBound(st *config.Stage) float64 {
	if st.Sampler != config.Grid {
		return 0
	}
	n := 1.0
	for _, d := range st.Space {
		n *= float64(max(st.Trials, len(d.Values)))
	}
	return n
}

// checkProposals proposes a round of a tpe stage from its n startup
// points ranked in sobol's order, and checks that every proposal lies in
// the unit cube and maps to values of the space.
func checkProposals(t *testing.T, st *config.Stage, seed uint64, refined map[string]config.Range, n int) {
	ax, err := axes(st, refined)
	if err != nil {
		t.Fatal(err)
	}
	units, err := sobolUnits(st, seed, ax, n)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, u := range proposeRound(ax, units, tpeGood(n, n), min(st.TPE.Batch, 20), rng) {
		for j, a := range ax {
			if !(u[j] >= 0 && u[j] < 1) {
				t.Fatalf("stage %s: proposed %s coordinate %v", st.Name, a.name, u[j])
			}
			if v := a.at(u[j]); math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("stage %s: proposed %s = %v", st.Name, a.name, v)
			}
		}
	}
}
