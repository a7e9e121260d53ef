package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/data"
	"github.com/sweep-ml/sweep/pkg/train"
)

// parseAndValidate is what a command does with a config file.
func parseAndValidate(src string) (Config, error) {
	c, err := Parse(strings.NewReader(src), ParseOptions{File: "c.yaml", BaseDir: "/cfg"})
	if err != nil {
		return c, err
	}
	return c, c.Validate()
}

// stages wraps stage YAML (indented by four spaces) in a search section, so
// the first stage is on line 3.
func stages(s string) string { return "search:\n  stages:\n" + s }

func TestFieldErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"unknown top-level key", "name: x\ncolour: red\n",
			`config: c.yaml:2: unknown key "colour" (expected one of data, model, name, search, seed, training)`},
		{"unknown nested key", "training:\n  lamda: 0.1\n",
			`config: c.yaml:2: training: unknown key "lamda" (did you mean "lambda"?)`},
		{"model key in training", "training:\n  hidden: 10\n",
			`config: c.yaml:2: training: unknown key "hidden" (hidden belongs in the model section)`},
		{"yaml syntax", "name: x\ndata:\n  dir: a: b\n",
			`config: c.yaml:3: invalid YAML: mapping values are not allowed in this context`},
		{"two documents", "name: x\n---\nname: y\n",
			`config: c.yaml:2: a second YAML document; a config is one document`},
		{"duplicate key", "training:\n  lambda: 1e-4\n  cycles: 2\n  lambda: 1e-3\n",
			`config: c.yaml:4: training.lambda: duplicate key "lambda" (first on line 2)`},
		{"section not a mapping", "training: 5\n",
			`config: c.yaml:1: training: expected a mapping, got 5`},
		{"wrong type batch_size", "training:\n  batch_size: big\n",
			`config: c.yaml:2: training.batch_size: expected an integer, got string "big"`},
		{"float for an int key", "training:\n  batch_size: 100.5\n",
			`config: c.yaml:2: training.batch_size: expected an integer, got 100.5`},
		{"string for a float key", "training:\n  lambda: \"1e-4\"\n",
			`config: c.yaml:2: training.lambda: expected a number, got string "1e-4"`},
		{"negative batch_size", "name: x\ntraining:\n  batch_size: -5\n",
			`config: c.yaml:3: training.batch_size: must be at least 1, got -5`},
		{"cycles 0", "training:\n  cycles: 0\n",
			`config: c.yaml:2: training.cycles: must be between 1 and 10000, got 0`},
		{"eta_min above eta_max", "training:\n  eta_min: 0.5\n  eta_max: 0.1\n",
			`config: c.yaml:2: training.eta_min: 0.5 is larger than training.eta_max 0.1`},
		{"step_size in words", "training:\n  step_size: two epochs\n",
			`config: c.yaml:2: training.step_size: expected a number of updates or "K epochs" with an integer K >= 1, got "two epochs"`},
		{"step_size 0 epochs", "training:\n  step_size: 0 epochs\n",
			`config: c.yaml:2: training.step_size: expected a number of updates or "K epochs" with an integer K >= 1, got "0 epochs"`},
		{"step_size 0", "training:\n  step_size: 0\n",
			`config: c.yaml:2: training.step_size: must be a positive number of updates or "K epochs", got 0`},
		{"precision float16", "training:\n  precision: float16\n",
			`config: c.yaml:2: training.precision: must be float64 or float32, got "float16"`},
		{"schedule unknown", "training:\n  schedule: cosine\n",
			`config: c.yaml:2: training.schedule: must be triangular, triangular2, exp_range or lr_range, got "cosine"`},
		{"shuffle not a bool", "training:\n  shuffle: yes\n",
			`config: c.yaml:2: training.shuffle: expected true or false, got string "yes"`},
		{"hidden 0", "model:\n  hidden: 0\n",
			`config: c.yaml:2: model.hidden: must be between 1 and 65536, got 0`},
		{"data.source unknown", "data:\n  source: mnist\n",
			`config: c.yaml:2: data.source: must be cifar10, idx or embedded, got "mnist"`},
		{"data.dir missing", "data:\n  source: idx\n",
			`config: c.yaml:1: data.dir: required for source idx`},
		{"holdout negative", "data:\n  validation:\n    holdout: -1\n",
			`config: c.yaml:3: data.validation.holdout: must be at least 0, got -1`},
		{"holdout beside files", "data:\n  validation: {holdout: 10, files: [b2]}\n",
			`config: c.yaml:2: data.validation: holdout and files exclude each other`},
		{"name empty", "name: \"\"\n",
			`config: c.yaml:1: name: must not be empty`},
		{"name with a directory", "name: runs/a\n",
			`config: c.yaml:1: name: "runs/a" is not a plain file name (it names the database NAME.db; use --db for another directory)`},
		{"name with a control character", "name: \"a\\x1b[2Jb\"\n",
			`config: c.yaml:1: name: "a\x1b[2Jb" contains a control character`},
		{"seed negative", "seed: -1\n",
			`config: c.yaml:1: seed: expected a non-negative integer, got -1`},
		{"workers 0", "search:\n  workers: 0\n",
			`config: c.yaml:2: search.workers: must be between 1 and 256, got 0`},
		{"workers beyond the bound", "search:\n  workers: 100000\n",
			`config: c.yaml:2: search.workers: must be between 1 and 256, got 100000`},
		{"stages empty", "search:\n  stages: []\n",
			`config: c.yaml:2: search.stages: must list at least one stage`},
		{"stages not a list", "search:\n  stages: {name: a}\n",
			`config: c.yaml:2: search.stages: expected a list, got a mapping`},
		{"log10 reversed", stages("    - name: a\n      space:\n        lambda: {log10: [-1, -5]}\n"),
			`config: c.yaml:5: search.stages[0].space.lambda: expected {log10: [a, b]} with a < b, got [-1, -5]`},
		{"log10 equal bounds", stages("    - name: a\n      space:\n        lambda: {log10: [-3, -3]}\n"),
			`config: c.yaml:5: search.stages[0].space.lambda: expected {log10: [a, b]} with a < b, got [-3, -3]`},
		{"log10 three bounds", stages("    - name: a\n      space:\n        lambda: {log10: [-5, -3, -1]}\n"),
			`config: c.yaml:5: search.stages[0].space.lambda: expected {log10: [a, b]} with a < b, got [-5, -3, -1]`},
		{"loguniform from 0", stages("    - name: a\n      space:\n        lambda: {loguniform: [0, 0.1]}\n"),
			`config: c.yaml:5: search.stages[0].space.lambda: expected {loguniform: [lo, hi]} with 0 < lo < hi, got [0, 0.1]`},
		{"int reversed", stages("    - name: a\n      space:\n        hidden: {int: [100, 10]}\n"),
			`config: c.yaml:5: search.stages[0].space.hidden: expected {int: [a, b]} with integers a <= b, got [100, 10]`},
		{"int not integers", stages("    - name: a\n      space:\n        hidden: {int: [10.5, 20]}\n"),
			`config: c.yaml:5: search.stages[0].space.hidden: expected {int: [a, b]} with integers a <= b, got [10.5, 20]`},
		{"empty choice", stages("    - name: a\n      space:\n        lambda: {choice: []}\n"),
			`config: c.yaml:5: search.stages[0].space.lambda: expected {choice: [v1, v2, ...]} with at least one number, got []`},
		{"choice of strings", stages("    - name: a\n      space:\n        lambda: {choice: [small]}\n"),
			`config: c.yaml:5: search.stages[0].space.lambda: expected {choice: [v1, v2, ...]} with at least one number, got string "small" in the list`},
		{"fractional choice for an int key", stages("    - name: a\n      space:\n        hidden: {choice: [10, 20.5]}\n"),
			`config: c.yaml:5: search.stages[0].space.hidden: hidden takes integers, got 20.5`},
		{"unknown dimension kind", stages("    - name: a\n      space:\n        lambda: {log: [-5, -1]}\n"),
			`config: c.yaml:5: search.stages[0].space.lambda: unknown dimension "log"; expected log10, loguniform, uniform, int or choice (did you mean "log10"?)`},
		{"space key not numeric", stages("    - name: a\n      space:\n        schedule: {choice: [1, 2]}\n"),
			`config: c.yaml:5: search.stages[0].space.schedule: schedule is not numeric and cannot be searched; set it in the stage's training section`},
		{"space key unknown", stages("    - name: a\n      space:\n        lamda: {log10: [-5, -1]}\n"),
			`config: c.yaml:5: search.stages[0].space: unknown key "lamda" (did you mean "lambda"?)`},
		{"step_size in a space as epochs", stages("    - name: a\n      space:\n        step_size: 2 epochs\n"),
			`config: c.yaml:5: search.stages[0].space.step_size: expected a number or a mapping like {log10: [a, b]}, got string "2 epochs"`},
		{"hidden range reaches 0", stages("    - name: a\n      space:\n        hidden: {uniform: [0, 100]}\n"),
			`config: c.yaml:5: search.stages[0].space.hidden: the range reaches hidden=0: must be between 1 and 65536, got 0`},
		{"lambda range negative", stages("    - name: a\n      space:\n        lambda: {uniform: [-0.1, 0.1]}\n"),
			`config: c.yaml:5: search.stages[0].space.lambda: the range reaches lambda=-0.1: must be a finite number >= 0, got -0.1`},
		{"eta_max range below eta_min", stages("    - name: a\n      space:\n        eta_max: {log10: [-6, -1]}\n"),
			`config: c.yaml:5: search.stages[0].space.eta_max: the range reaches eta_max=1e-06: 1e-05 is larger than training.eta_max 1e-06`},
		{"stage name empty", stages("    - trials: 2\n"),
			`config: c.yaml:3: search.stages[0].name: must not be empty`},
		{"duplicate stage names", stages("    - name: a\n    - name: a\n"),
			`config: c.yaml:4: search.stages[1].name: duplicate stage name "a" (also search.stages[0])`},
		{"stage name with a newline", stages("    - name: \"a\\nb\"\n"),
			`config: c.yaml:3: search.stages[0].name: "a\nb" contains a control character`},
		{"unknown stage key", stages("    - name: a\n      sampel: grid\n"),
			`config: c.yaml:4: search.stages[0]: unknown key "sampel" (did you mean "sampler"?)`},
		{"sampler unknown", stages("    - name: a\n      sampler: bayes\n"),
			`config: c.yaml:4: search.stages[0].sampler: must be grid, random, sobol or tpe, got "bayes"`},
		{"trials 0", stages("    - name: a\n      trials: 0\n"),
			`config: c.yaml:4: search.stages[0].trials: must be between 1 and 1000000, got 0`},
		{"grid too large", stages("    - name: a\n      trials: 1001\n      space:\n        lambda: {log10: [-5, -1]}\n        eta_max: {log10: [-2, -1]}\n"),
			`config: c.yaml:4: search.stages[0].trials: the grid has 1002001 points, more than 1000000`},
		{"seeds 0", stages("    - name: a\n      seeds: 0\n"),
			`config: c.yaml:4: search.stages[0].seeds: must be between 1 and 1000000, got 0`},
		{"after unknown stage", stages("    - name: coarse\n    - name: fine\n      after: corse\n"),
			`config: c.yaml:5: search.stages[1].after: unknown stage "corse" (did you mean "coarse"?)`},
		{"after a later stage", stages("    - name: fine\n      after: coarse\n    - name: coarse\n"),
			`config: c.yaml:4: search.stages[0].after: "coarse" names a later stage; a stage can only follow an earlier one`},
		{"after itself", stages("    - name: a\n      after: a\n"),
			`config: c.yaml:4: search.stages[0].after: a stage cannot follow itself`},
		{"refine without refine dimension", stages("    - name: a\n    - name: b\n      after: a\n      space: {lambda: {log10: [-5, -1]}}\n      refine: {top: 3}\n"),
			`config: c.yaml:7: search.stages[1].refine: no dimension to refine; use one like {log10: refine} in the space`},
		{"refine dimension without refine", stages("    - name: a\n    - name: b\n      after: a\n      space:\n        lambda: {log10: refine}\n"),
			`config: c.yaml:7: search.stages[1].space.lambda: {log10: refine} needs a refine: {top, margin} section in the stage`},
		{"refine dimension without after", stages("    - name: a\n    - name: b\n      space:\n        lambda: {uniform: refine}\n      refine: {top: 2}\n"),
			`config: c.yaml:6: search.stages[1].space.lambda: {uniform: refine} needs after: naming the stage to refine`},
		{"refine top 0", stages("    - name: a\n    - name: b\n      after: a\n      space: {lambda: {log10: refine}}\n      refine: {top: 0}\n"),
			`config: c.yaml:7: search.stages[1].refine.top: must be at least 1, got 0`},
		{"best beside sampler", stages("    - name: a\n    - name: b\n      best: 1\n      sampler: random\n"),
			`config: c.yaml:6: search.stages[1].sampler: best beside sampler: a best stage retrains earlier configurations and samples none`},
		{"best with trials", stages("    - name: a\n    - name: b\n      best: 1\n      trials: 4\n"),
			`config: c.yaml:6: search.stages[1].trials: best beside trials: a best stage retrains earlier configurations and samples none`},
		{"best with space", stages("    - name: a\n    - name: b\n      best: 1\n      space: {lambda: 0.1}\n"),
			`config: c.yaml:6: search.stages[1].space: best beside space: a best stage retrains earlier configurations and samples none`},
		{"lr_range min 0", stages("    - name: r\n      lr_range: {min: 0, max: 1, epochs: 2}\n"),
			`config: c.yaml:4: search.stages[0].lr_range.min: must be a finite number > 0, got 0`},
		{"lr_range max below min", stages("    - name: r\n      lr_range:\n        min: 0.1\n        max: 0.01\n"),
			`config: c.yaml:6: search.stages[0].lr_range.max: must be a finite number above min 0.1, got 0.01`},
		{"lr_range max equal min", stages("    - name: r\n      lr_range: {min: 0.1, max: 0.1}\n"),
			`config: c.yaml:4: search.stages[0].lr_range.max: must be a finite number above min 0.1, got 0.1`},
		{"lr_range epochs 0", stages("    - name: r\n      lr_range: {epochs: 0}\n"),
			`config: c.yaml:4: search.stages[0].lr_range.epochs: must be between 1 and 2147483648, got 0`},
		{"lr_range epochs beyond 2^31", stages("    - name: r\n      lr_range: {epochs: 3000000000}\n"),
			`config: c.yaml:4: search.stages[0].lr_range.epochs: must be between 1 and 2147483648, got 3000000000`},
		{"lr_range epochs fractional", stages("    - name: r\n      lr_range: {epochs: 1.5}\n"),
			`config: c.yaml:4: search.stages[0].lr_range.epochs: expected an integer, got 1.5`},
		{"lr_range unknown key", stages("    - name: r\n      lr_range: {mini: 1e-5}\n"),
			`config: c.yaml:4: search.stages[0].lr_range: unknown key "mini" (did you mean "min"?)`},
		{"lr_range with sampler", stages("    - name: r\n      lr_range: {}\n      sampler: sobol\n"),
			`config: c.yaml:5: search.stages[0].sampler: sampler beside lr_range: a range stage is one training and samples nothing`},
		{"lr_range with trials", stages("    - name: r\n      lr_range: {}\n      trials: 3\n"),
			`config: c.yaml:5: search.stages[0].trials: trials beside lr_range: a range stage is one training and samples nothing`},
		{"lr_range with space", stages("    - name: r\n      lr_range: {}\n      space: {lambda: {log10: [-5, -1]}}\n"),
			`config: c.yaml:5: search.stages[0].space: space beside lr_range: a range stage is one training and samples nothing`},
		{"lr_range with best", stages("    - name: a\n    - name: r\n      best: 1\n      lr_range: {}\n"),
			`config: c.yaml:5: search.stages[1].best: best beside lr_range: a range stage is one training and samples nothing`},
		{"lr_range with halving", stages("    - name: r\n      lr_range: {}\n      halving: {min_cycles: 1, eta: 2}\n"),
			`config: c.yaml:5: search.stages[0].halving: halving beside lr_range: a range stage is one training and samples nothing`},
		{"lr_range with seeds", stages("    - name: r\n      lr_range: {}\n      seeds: 2\n"),
			`config: c.yaml:5: search.stages[0].seeds: seeds beside lr_range: a range stage is one training and samples nothing`},
		{"lr_range with its own eta_max", stages("    - name: r\n      lr_range: {}\n      training: {eta_max: 0.1}\n"),
			`config: c.yaml:5: search.stages[0].training.eta_max: set by the stage's lr_range; remove it here`},
		{"best 0", stages("    - name: a\n    - name: b\n      best: 0\n"),
			`config: c.yaml:5: search.stages[1].best: must be at least 1, got 0`},
		{"best first", stages("    - name: a\n      best: 1\n"),
			`config: c.yaml:4: search.stages[0].best: the first stage has no earlier configurations to take the best of`},
		{"halving eta 1", stages("    - name: a\n      training: {cycles: 9}\n      halving: {min_cycles: 1, eta: 1}\n"),
			`config: c.yaml:5: search.stages[0].halving.eta: must be an integer between 2 and 10000, got 1`},
		{"halving eta not an integer", stages("    - name: a\n      halving: {eta: 2.5}\n"),
			`config: c.yaml:4: search.stages[0].halving.eta: expected an integer, got 2.5`},
		{"halving min_cycles 0", stages("    - name: a\n      training: {cycles: 9}\n      halving: {min_cycles: 0}\n"),
			`config: c.yaml:5: search.stages[0].halving.min_cycles: must be at least 1, got 0`},
		{"halving min_cycles at the last rung", stages("    - name: a\n      training: {cycles: 3}\n      halving: {min_cycles: 3}\n"),
			`config: c.yaml:5: search.stages[0].halving.min_cycles: must be less than the stage's training.cycles 3 (the last rung), got 3`},
		{"halving with the default 2 cycles", stages("    - name: a\n      halving: {min_cycles: 2, eta: 2}\n"),
			`config: c.yaml:4: search.stages[0].halving.min_cycles: must be less than the stage's training.cycles 2 (the last rung), got 2`},
		{"halving unknown key", stages("    - name: a\n      halving: {min_cycle: 1}\n"),
			`config: c.yaml:4: search.stages[0].halving: unknown key "min_cycle" (did you mean "min_cycles"?)`},
		{"halving searches cycles", stages("    - name: a\n      training: {cycles: 9}\n      space: {cycles: {int: [1, 9]}}\n      halving: {min_cycles: 1}\n"),
			`config: c.yaml:5: search.stages[0].space.cycles: a halving stage sets the cycles of its rungs itself; set training.cycles to the last rung instead`},
		{"best with halving", stages("    - name: a\n    - name: b\n      best: 1\n      halving: {min_cycles: 1}\n"),
			`config: c.yaml:6: search.stages[1].halving: best beside halving: a best stage retrains earlier configurations and samples none`},
		{"tpe startup above trials", stages("    - name: a\n      sampler: tpe\n      trials: 6\n      tpe: {startup: 8, batch: 2}\n"),
			`config: c.yaml:6: search.stages[0].tpe.startup: must be between 1 and the stage's trials 6, got 8`},
		{"tpe startup 0", stages("    - name: a\n      sampler: tpe\n      trials: 6\n      tpe: {startup: 0}\n"),
			`config: c.yaml:6: search.stages[0].tpe.startup: must be between 1 and the stage's trials 6, got 0`},
		{"tpe batch 0", stages("    - name: a\n      sampler: tpe\n      trials: 20\n      tpe: {batch: 0}\n"),
			`config: c.yaml:6: search.stages[0].tpe.batch: must be between 1 and 10000, got 0`},
		{"tpe batch huge", stages("    - name: a\n      sampler: tpe\n      trials: 20\n      tpe: {batch: 10001}\n"),
			`config: c.yaml:6: search.stages[0].tpe.batch: must be between 1 and 10000, got 10001`},
		{"tpe too many trials", stages("    - name: a\n      sampler: tpe\n      trials: 10001\n"),
			`config: c.yaml:5: search.stages[0].trials: a tpe stage proposes at most 10000 points, got 10001`},
		{"tpe options without the sampler", stages("    - name: a\n      sampler: sobol\n      trials: 9\n      tpe: {startup: 3}\n"),
			`config: c.yaml:6: search.stages[0].tpe: the tpe options need sampler: tpe, the stage's sampler is sobol`},
		{"tpe options with the default sampler", stages("    - name: a\n      tpe: {startup: 1}\n"),
			`config: c.yaml:4: search.stages[0].tpe: the tpe options need sampler: tpe, the stage's sampler is grid`},
		{"tpe unknown key", stages("    - name: a\n      sampler: tpe\n      tpe: {rounds: 3}\n"),
			`config: c.yaml:5: search.stages[0].tpe: unknown key "rounds" (expected one of batch, startup)`},
		{"tpe batch not an integer", stages("    - name: a\n      sampler: tpe\n      tpe: {batch: 1.5}\n"),
			`config: c.yaml:5: search.stages[0].tpe.batch: expected an integer, got 1.5`},
		{"best with tpe", stages("    - name: a\n    - name: b\n      best: 1\n      tpe: {batch: 2}\n"),
			`config: c.yaml:6: search.stages[1].tpe: best beside tpe: a best stage retrains earlier configurations and samples none`},
		{"stage training override", stages("    - name: a\n    - name: b\n      training:\n        cycles: 0\n"),
			`config: c.yaml:6: search.stages[1].training.cycles: must be between 1 and 10000, got 0`},
		{"stage override makes eta_min too large", "training:\n  eta_max: 0.01\n" + stages("    - name: a\n      training: {eta_min: 0.1}\n"),
			`config: c.yaml:6: search.stages[0].training.eta_min: 0.1 is larger than training.eta_max 0.01`},
		{"stage data override", stages("    - name: a\n      data:\n        source: cifar10\n"),
			`config: c.yaml:4: search.stages[0].data.dir: required for source cifar10`},
		{"stage data unknown key", stages("    - name: a\n      data:\n        validaton: {holdout: 10}\n"),
			`config: c.yaml:5: search.stages[0].data: unknown key "validaton" (did you mean "validation"?)`},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if seen[tt.name] {
				t.Fatalf("duplicate case name")
			}
			seen[tt.name] = true
			_, err := parseAndValidate(tt.src)
			if err == nil {
				t.Fatalf("no error, want %s", tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error\n got %s\nwant %s", got, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
			var ce *FieldError
			if !errors.As(err, &ce) || ce.Line == 0 {
				t.Errorf("want a *FieldError with a line, got %#v", err)
			}
		})
	}
}

// An error train found keeps train's sentinel in its chain as well as
// ErrInvalid: they used to be flattened into the message with %s and %v.
func TestTrainErrorsKeepTheirSentinel(t *testing.T) {
	for _, src := range []string{
		"training:\n  cycles: 0\n",
		"model:\n  hidden: 0\n",
		"training:\n  eta_max: 0.01\n" + stages("    - name: a\n      training: {eta_min: 0.1}\n"),
		stages("    - name: a\n      space: {lambda: {uniform: [-1, 1]}}\n"),
	} {
		_, err := parseAndValidate(src)
		if !errors.Is(err, ErrInvalid) || !errors.Is(err, train.ErrInvalidConfig) {
			t.Errorf("%q: %v does not wrap both ErrInvalid and train.ErrInvalidConfig", src, err)
		}
	}
	c, err := parseAndValidate("training:\n  batch_size: 100\n")
	if err != nil {
		t.Fatal(err)
	}
	tc, _ := c.TrainConfig(nil, nil)
	if err := c.CheckFit(nil, tc, &train.Dataset{D: 4, K: 2, TrainY: make([]uint8, 50)}); !errors.Is(err, ErrInvalid) || !errors.Is(err, train.ErrInvalidConfig) {
		t.Errorf("CheckFit: %v does not wrap both sentinels", err)
	}
}

// A data error placed at the config's data section keeps data's sentinels.
func TestDataErrorsKeepTheirSentinel(t *testing.T) {
	c, err := parseAndValidate("data: {source: idx, dir: /nonexistent}\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, cause := range []error{
		fmt.Errorf("data: %w: holdout too large", data.ErrSpec),
		&data.Error{Path: "/nonexistent", Kind: data.ErrNotFound, Msg: "directory not found"},
	} {
		err := c.DataError(nil, cause)
		var fe *FieldError
		if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) || !errors.Is(err, cause) {
			t.Errorf("DataError(%v) = %v, want a FieldError wrapping it", cause, err)
		}
	}
}
