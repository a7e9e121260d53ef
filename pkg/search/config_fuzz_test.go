package search

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("../../configs/*.yaml")
	broken, _ := filepath.Glob("testdata/config/*.yaml")
	for _, name := range append(seeds, broken...) {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, src string) {
		c, err := Parse(strings.NewReader(src), ParseOptions{File: "f.yaml", BaseDir: "/cfg"})
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			return
		}
		if _, err := c.Resolved(); err != nil {
			t.Errorf("valid config does not resolve: %v", err)
		}
		// A valid stage must produce its points (capped to keep runs fast).
		for i := range c.Search.Stages {
			st := &c.Search.Stages[i]
			if st.Best > 0 || gridSize(st.Space, st.Trials) > 1000 {
				continue
			}
			refined := map[string]Range{}
			for _, d := range st.Space {
				refined[d.Name] = Range{-3, -1}
			}
			if _, _, err := st.Points(c.Seed, min(st.Trials, 100), refined); err != nil {
				t.Errorf("stage %s: %v", st.Name, err)
			}
		}
	})
}
