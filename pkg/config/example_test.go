package config_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/train"
)

// A config's base settings as one trial, its canonical encoding and id.
func Example() {
	c, err := config.Parse(strings.NewReader("training:\n  lambda: 1e-3\n  step_size: 500\n"), config.ParseOptions{File: "c.yaml"})
	if err == nil {
		err = c.Validate()
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	tc, err := c.TrainConfig(nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	enc, err := config.EncodeTrial(config.Trial{Settings: tc, Data: "69bbf00bb0f9", Numerics: 8})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(enc))
	fmt.Println(config.TrialID(enc))
	// Output:
	// {"algorithm_version":8,"data":"69bbf00bb0f9","training":{"batch_size":100,"cycles":2,"eta_max":0.1,"eta_min":0.00001,"gamma":0.99994,"hidden":50,"lambda":0.001,"precision":"float32","records_per_cycle":10,"schedule":"triangular","seed":111,"shuffle":false,"step_size":500}}
	// fc353990b33e20aea86907b0
}

// A mistake is reported where the file makes it, and the error says
// which package's rule it broke.
func ExampleFieldError() {
	c, err := config.Parse(strings.NewReader("name: x\ntraining:\n  cycles: 0\n"), config.ParseOptions{File: "c.yaml"})
	if err == nil {
		err = c.Validate()
	}
	var fe *config.FieldError
	fmt.Println(err)
	fmt.Println(errors.As(err, &fe), fe.Line, fe.Path)
	fmt.Println(errors.Is(err, config.ErrInvalid), errors.Is(err, train.ErrInvalidConfig))
	// Output:
	// config: c.yaml:3: training.cycles: must be between 1 and 10000, got 0
	// true 3 training.cycles
	// true true
}

// A halving stage's rungs: min_cycles·eta^k below training.cycles, then
// training.cycles itself.
func ExampleHalving_Rungs() {
	fmt.Println(config.Halving{MinCycles: 1, Eta: 3}.Rungs(9))
	fmt.Println(config.Halving{MinCycles: 1, Eta: 3}.Rungs(10))
	fmt.Println(config.Halving{MinCycles: 2, Eta: 2}.Rungs(9))
	fmt.Println(config.Halving{MinCycles: 1, Eta: 100}.Rungs(9))
	// Output:
	// [1 3 9]
	// [1 3 9 10]
	// [2 4 8 9]
	// [1 9]
}

// The round of each point of a tpe stage: the startup points are round 0,
// then each batch is one round; trials counts them all. This stage ran
// with 6 trials (round 2 was cut to 1 point) and now has 9: round 3
// follows the short round 2.
func ExampleStage_TPERound() {
	st := config.Stage{Sampler: config.TPESampler, Trials: 9, TPE: &config.TPE{Startup: 3, Batch: 2}}
	d := config.Derived{Rounds: []int{2, 1}, Proposed: make([]map[string]float64, 3)}
	for i := range st.Trials {
		fmt.Print(st.TPERound(d, i), " ")
	}
	fmt.Println()
	// Output:
	// 0 0 0 1 1 2 3 3 4
}
