package search

import (
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/train"
)

func TestDefaultIsOneTrial(t *testing.T) {
	for _, src := range []string{"", "# nothing\n", "name: x\n", "search:\n  workers: 3\n"} {
		c, err := config.Parse(strings.NewReader(src), config.ParseOptions{File: "c.yaml"})
		if err == nil {
			err = c.Validate()
		}
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if len(c.Search.Stages) != 1 {
			t.Fatalf("%q: stages %+v", src, c.Search.Stages)
		}
		st := &c.Search.Stages[0]
		if st.Name != "default" || st.Sampler != config.Grid || st.Trials != 1 || st.Seeds != 1 || len(st.Space) != 0 {
			t.Errorf("%q: default stage %+v", src, st)
		}
		pts, warnings, err := Points(st, c.Seed, st.Trials, nil)
		if err != nil || len(pts) != 1 || len(pts[0]) != 0 || len(warnings) != 0 {
			t.Errorf("%q: points %v %v %v", src, pts, warnings, err)
		}
		tc, err := c.TrainConfig(st, pts[0])
		want := train.DefaultConfig()
		if err != nil || tc != want {
			t.Errorf("%q: train config %+v, %v; want %+v", src, tc, err, want)
		}
	}
}
