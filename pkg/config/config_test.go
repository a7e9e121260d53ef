package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/train"
)

func TestConfigsDirectory(t *testing.T) {
	files, err := filepath.Glob("../../configs/*.yaml")
	if err != nil || len(files) < 5 {
		t.Fatalf("configs: %v %v", files, err)
	}
	for _, f := range files {
		c, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if _, err := c.Resolved(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestSameFloatWhateverTheSpelling(t *testing.T) {
	a, err := parseAndValidate("training:\n  lambda: 1e-4\n  eta_max: 1\n")
	if err != nil {
		t.Fatal(err)
	}
	b, err := parseAndValidate("training:\n  lambda: 0.0001\n  eta_max: 1.0\n")
	if err != nil {
		t.Fatal(err)
	}
	if a.Training.Lambda != 1e-4 || b.Training.Lambda != 1e-4 || a.Training.EtaMax != 1 || b.Training.EtaMax != 1 {
		t.Errorf("lambda %v and %v, eta_max %v and %v", a.Training.Lambda, b.Training.Lambda, a.Training.EtaMax, b.Training.EtaMax)
	}
	ra, _ := a.Resolved()
	rb, _ := b.Resolved()
	if string(ra) != string(rb) {
		t.Errorf("resolved configs differ:\n%s\n%s", ra, rb)
	}
}

func TestParseFillsSettings(t *testing.T) {
	c, err := parseAndValidate(`
name: n
seed: 7
data:
  source: cifar10
  dir: ../data/cifar
  train: [data_batch_1, more/data_batch_9, /abs/b]
  validation: {files: [data_batch_2]}
model: {hidden: 1e2}
training:
  step_size: 1 epoch
  schedule: exp_range
  gamma: 0.999
  shuffle: true
  precision: float32
search:
  workers: 4
  stages:
    - name: s
      sampler: sobol
      trials: 16
      seeds: 2
      space:
        lambda: {loguniform: [1e-5, 1e-1]}
        hidden: {int: [10, 20]}
        batch_size: {choice: [50, 100]}
        eta_max: 0.05
        step_size: {uniform: [100, 900]}
      model: {hidden: 30}
      training: {step_size: 300, cycles: 4}
      data: {validation: {holdout: 100}}
`)
	if err != nil {
		t.Fatal(err)
	}
	d := c.Data
	if d.Source != "cifar10" || d.Dir != "/data/cifar" || strings.Join(d.Train, ",") != "data_batch_1,/cfg/more/data_batch_9,/abs/b" ||
		strings.Join(d.Validation.Files, ",") != "data_batch_2" {
		t.Errorf("data %+v", d)
	}
	tc := c.Training
	if c.Seed != 7 || tc.Hidden != 100 || tc.StepSize != (train.StepSize{Epochs: 1}) || tc.Schedule != train.ExpRange ||
		tc.Gamma != 0.999 || !tc.Shuffle || tc.Precision != train.Float32 || c.Search.Workers != 4 {
		t.Errorf("settings %+v", c)
	}
	st := &c.Search.Stages[0]
	var names []string
	for _, dim := range st.Space {
		names = append(names, dim.Name+":"+dim.Kind.String())
	}
	if got := strings.Join(names, " "); got != "batch_size:choice eta_max:const hidden:int lambda:loguniform step_size:uniform" {
		t.Errorf("space %s", got)
	}
	sd := c.DataSection(st)
	if sd.Validation.Holdout != 100 || sd.Validation.Files != nil || sd.Dir != "/data/cifar" {
		t.Errorf("stage data %+v", sd)
	}
	got, err := c.TrainConfig(st, map[string]float64{"lambda": 0.01, "hidden": 14.6, "step_size": 450.2, "batch_size": 50, "eta_max": 0.05})
	if err != nil {
		t.Fatal(err)
	}
	if got.Lambda != 0.01 || got.Hidden != 15 || got.StepSize != (train.StepSize{Updates: 450}) || got.BatchSize != 50 ||
		got.Cycles != 4 || got.EtaMax != 0.05 || got.Seed != 7 {
		t.Errorf("trial config %+v", got)
	}
	if base, _ := c.TrainConfig(nil, nil); base.Hidden != 100 || base.Cycles != 2 {
		t.Errorf("base config %+v", base)
	}
	if _, err := c.TrainConfig(st, map[string]float64{"schedule": 1}); err == nil {
		t.Error("TrainConfig accepted a non-numeric parameter")
	}
	if _, err := c.TrainConfig(st, map[string]float64{"lambda": -1}); err == nil || !strings.Contains(err.Error(), "lambda=-1") {
		t.Errorf("TrainConfig with lambda -1: %v", err)
	}
}

func TestLoadResolvesAgainstTheFile(t *testing.T) {
	dir := t.TempDir()
	src := "data:\n  source: idx\n  dir: fmnist\n"
	path := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Data.Dir != filepath.Join(dir, "fmnist") || string(c.Raw) != src || c.File != path {
		t.Errorf("dir %q raw %q file %q", c.Data.Dir, c.Raw, c.File)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing file: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func TestResolvedIsCanonical(t *testing.T) {
	c, err := parseAndValidate(`
name: r
search:
  stages:
    - name: a
      trials: 2
      space: {lambda: {log10: [-5, -1]}, hidden: {choice: [10, 20]}}
    - name: b
      after: a
      best: 1
      training: {step_size: 3 epochs}
      data: {validation: {holdout: 10}}
`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Resolved()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"data":{"source":"embedded","validation":{"holdout":0}},"model":{"hidden":50},"name":"r",` +
		`"search":{"stages":[{"name":"a","sampler":"grid","seeds":1,"space":{"hidden":{"choice":[10,20]},"lambda":{"log10":[-5,-1]}},"trials":2},` +
		`{"after":"a","best":1,"data":{"validation":{"holdout":10}},"name":"b","seeds":1,"training":{"step_size":"3 epochs"}}],"workers":0},` +
		`"seed":111,"training":{"batch_size":100,"cycles":2,"eta_max":0.1,"eta_min":0.00001,"gamma":0.99994,"lambda":0.0001,` +
		`"precision":"float32","records_per_cycle":10,"schedule":"triangular","shuffle":false,"step_size":"2 epochs"}}`
	if string(got) != want {
		t.Errorf("resolved\n got %s\nwant %s", got, want)
	}
}

func TestValidateWithoutFile(t *testing.T) {
	c := Default()
	c.Training.BatchSize = 0
	err := c.Validate()
	if err == nil || err.Error() != "config: training.batch_size: must be at least 1, got 0" {
		t.Errorf("got %v", err)
	}
	c = Default()
	c.Search.Stages[0].Training = Settings{"hidden": 1.5}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "wrong type float64") {
		t.Errorf("ill-typed override: %v", err)
	}
}
