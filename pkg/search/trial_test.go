package search

import (
	"bytes"
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

// Every sampled value of every numeric setting survives the trial
// encoding: encode, decode and encode again give the same bytes, and the id
// is the hash of those bytes.
func TestSampledTrialsRoundTrip(t *testing.T) {
	c, err := config.Parse(strings.NewReader(`
search:
  stages:
    - name: s
      sampler: random
      trials: 300
      space:
        hidden: {int: [1, 300]}
        batch_size: {choice: [1, 7, 100]}
        eta_min: {loguniform: [1e-9, 1e-5]}
        eta_max: {log10: [-3, 1]}
        step_size: {int: [1, 100000]}
        cycles: {int: [1, 50]}
        lambda: {log10: [-9, 0]}
        records_per_cycle: {int: [1, 100]}
        gamma: {uniform: [0.5, 1]}
      training: {schedule: exp_range}
`), config.ParseOptions{File: "s.yaml"})
	if err == nil {
		err = c.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	st := &c.Search.Stages[0]
	points, _, err := Points(st, c.Seed, st.Trials, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range points {
		tc, err := c.TrainConfig(st, p)
		if err != nil {
			t.Fatal(err)
		}
		tr := config.Trial{Settings: tc, Data: "fp", Numerics: train.AlgorithmVersion}
		b, err := config.EncodeTrial(tr)
		if err != nil {
			t.Fatal(err)
		}
		back, err := config.DecodeTrial(b)
		if err != nil || back != tr {
			t.Fatalf("%s decodes to %+v, %v", b, back, err)
		}
		again, _ := config.EncodeTrial(back)
		if !bytes.Equal(again, b) {
			t.Fatalf("%s re-encodes as %s", b, again)
		}
		id, err := TrialID(tc, "fp")
		if err != nil || id != config.TrialID(b) {
			t.Fatalf("TrialID %s, %v; the hash of the encoding is %s", id, err, config.TrialID(b))
		}
	}
}
