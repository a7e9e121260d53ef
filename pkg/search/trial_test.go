package search

import (
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/train"
)

func TestTrialIDStability(t *testing.T) {
	TrialID := func(tc train.Config, fp string) string {
		t.Helper()
		id, err := TrialID(tc, fp)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	parse := func(yaml string) train.Config {
		t.Helper()
		c, err := config.Parse(strings.NewReader(yaml), config.ParseOptions{File: "t.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		tc, err := c.TrainConfig(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return tc
	}
	a := parse("training: {lambda: 1e-4}\n")
	b := parse("training: {lambda: 0.0001}\n")
	if TrialID(a, "fp") != TrialID(b, "fp") {
		t.Fatal("1e-4 and 0.0001 give different ids")
	}
	base := TrialID(a, "fp")
	if len(base) != 24 {
		t.Fatalf("id %q is not 24 hex digits", base)
	}
	changed := map[string]func(*train.Config){
		"lambda":            func(c *train.Config) { c.Lambda = 2e-4 },
		"hidden":            func(c *train.Config) { c.Hidden++ },
		"records_per_cycle": func(c *train.Config) { c.RecordsPerCycle++ },
		"precision":         func(c *train.Config) { c.Precision = train.Float64 },
		"seed":              func(c *train.Config) { c.Seed++ },
		"step_size":         func(c *train.Config) { c.StepSize = train.StepSize{Updates: 1100} },
		"shuffle":           func(c *train.Config) { c.Shuffle = true },
	}
	for name, mutate := range changed {
		c := a
		mutate(&c)
		if TrialID(c, "fp") == base {
			t.Errorf("changing %s kept the id", name)
		}
	}
	if TrialID(a, "other data") == base {
		t.Error("changing the data fingerprint kept the id")
	}
}
