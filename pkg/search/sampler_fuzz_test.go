package search

import (
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
