package search_test

import (
	"fmt"
	"strings"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/search"
)

func Example() {
	src := `
name: tiny
search:
  stages:
    - name: coarse
      sampler: grid
      trials: 3
      space:
        lambda: {log10: [-4, -2]}
        hidden: {choice: [20, 50]}
`
	c, err := config.Parse(strings.NewReader(src), config.ParseOptions{File: "tiny.yaml"})
	if err == nil {
		err = c.Validate()
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	st := &c.Search.Stages[0]
	points, _, _ := search.Points(st, c.Seed, st.Trials, nil)
	for i, p := range points {
		fmt.Printf("trial %d: hidden=%g lambda=%g\n", i, p["hidden"], p["lambda"])
	}
	// Output:
	// trial 0: hidden=20 lambda=0.0001
	// trial 1: hidden=20 lambda=0.001
	// trial 2: hidden=20 lambda=0.01
	// trial 3: hidden=50 lambda=0.0001
	// trial 4: hidden=50 lambda=0.001
	// trial 5: hidden=50 lambda=0.01
}
