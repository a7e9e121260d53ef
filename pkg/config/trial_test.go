package config

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/train"
)

// legacyTrials are trials with the JSON and id that search.TrialID gave
// them before this package existed (commit 65b1d46): version 1 of the
// encoding must reproduce both, or every stored trial would lose its id.
var legacyTrials = []struct {
	tc   func() train.Config
	json string
	id   string
}{
	{train.DefaultConfig,
		`{"algorithm_version":8,"data":"0123abcd","training":{"batch_size":100,"cycles":2,"eta_max":0.1,"eta_min":0.00001,"gamma":0.99994,"hidden":50,"lambda":0.0001,"precision":"float32","records_per_cycle":10,"schedule":"triangular","seed":111,"shuffle":false,"step_size":"2 epochs"}}`,
		"456204b8363da067299ad7cc"},
	{func() train.Config {
		c := train.DefaultConfig()
		c.StepSize = train.StepSize{Updates: 100}
		c.Lambda = 3.1622776601683795e-05
		c.Seed = 18446744073709551615
		c.Schedule, c.Shuffle, c.Precision, c.EtaMin = train.ExpRange, true, train.Float64, 1e-7
		return c
	},
		`{"algorithm_version":8,"data":"0123abcd","training":{"batch_size":100,"cycles":2,"eta_max":0.1,"eta_min":1e-7,"gamma":0.99994,"hidden":50,"lambda":0.000031622776601683795,"precision":"float64","records_per_cycle":10,"schedule":"exp_range","seed":18446744073709551615,"shuffle":true,"step_size":100}}`,
		"2cab7b7da40fa2c4e45c2df8"},
}

func TestEncodingKeepsLegacyIDs(t *testing.T) {
	if train.AlgorithmVersion != 8 {
		t.Skip("the legacy ids were computed under numerics version 8")
	}
	for _, lt := range legacyTrials {
		tr := Trial{Settings: lt.tc(), Data: "0123abcd", Numerics: train.AlgorithmVersion}
		b, err := EncodeTrial(tr)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != lt.json {
			t.Errorf("encoding\n got %s\nwant %s", b, lt.json)
		}
		if id := TrialID(b); id != lt.id {
			t.Errorf("id %s, want %s", id, lt.id)
		}
		back, err := DecodeTrial([]byte(lt.json))
		if err != nil || back != tr {
			t.Errorf("%s decodes to %+v, %v", lt.json, back, err)
		}
	}
}

func TestDecodeTrialIsStrict(t *testing.T) {
	good := legacyTrials[1].json
	for _, tc := range []struct{ name, old, new, want string }{
		{"unknown top key", `{"algorithm_version"`, `{"encoding":2,"algorithm_version"`, `unknown key "encoding"`},
		{"missing top key", `"data":"0123abcd",`, ``, `missing key "data"`},
		{"unknown setting", `"batch_size":100`, `"batch_size":100,"momentum":0.9`, `unknown key "momentum"`},
		{"missing setting", `"batch_size":100,`, ``, `missing key "batch_size"`},
		{"wrong type", `"hidden":50`, `"hidden":"50"`, `hidden: expected an integer, got "50"`},
		{"fractional int", `"hidden":50`, `"hidden":50.5`, `hidden: expected an integer`},
		{"out of range", `"hidden":50`, `"hidden":0`, `hidden: 0 is outside [1, 65536]`},
		{"unknown enum", `"exp_range"`, `"sawtooth"`, `schedule: "sawtooth" is outside triangular | triangular2 | exp_range`},
		{"step size spelled as text", `"step_size":100`, `"step_size":"100"`, `step_size: expected a number of updates or "K epochs", got "100"`},
		{"one epochs", `"step_size":100`, `"step_size":"1 epochs"`, `step_size: expected a number of updates`},
		{"not canonical", `"eta_min":1e-7`, `"eta_min":0.0000001`, `not in the canonical form of encoding version 1`},
		{"spaces", `{"algorithm_version":8`, `{ "algorithm_version": 8`, `not in the canonical form of encoding version 1`},
		{"together invalid", `"eta_min":1e-7`, `"eta_min":1`, `training.eta_min: 1 is larger than training.eta_max 0.1`},
		{"bad seed", `"seed":18446744073709551615`, `"seed":-1`, `seed: expected an unsigned integer`},
		{"not an object", good, `[1]`, `expected a JSON object`},
	} {
		src := strings.Replace(good, tc.old, tc.new, 1)
		if src == good {
			t.Fatalf("%s: %q is not in the encoding", tc.name, tc.old)
		}
		_, err := DecodeTrial([]byte(src))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrEncoding) {
			t.Errorf("%s: %s: got %v, want an ErrEncoding containing %q", tc.name, src, err, tc.want)
		}
	}
}

// Every stage of every example config, and of a config with every kind of
// dimension and override, round-trips through its stored spec.
func TestStageSpecRoundTrips(t *testing.T) {
	files, _ := filepath.Glob("../../configs/*.yaml")
	var configs []Config
	for _, f := range files {
		c, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		configs = append(configs, c)
	}
	c, err := parseAndValidate(`
search:
  stages:
    - name: a
      sampler: sobol
      trials: 5
      seeds: 2
      space:
        lambda: {log10: [-5, -1]}
        eta_max: {loguniform: [0.01, 0.3]}
        gamma: {uniform: [0.9, 1]}
        hidden: {int: [10, 60]}
        batch_size: {choice: [50, 100]}
        cycles: 3
      training: {step_size: 500, schedule: exp_range, shuffle: true, precision: float64, eta_min: 1e-7}
      model: {hidden: 20}
    - name: b
      after: a
      sampler: random
      space: {lambda: {log10: refine}, gamma: {uniform: refine}}
      refine: {top: 2, margin: 0.5}
      halving: {min_cycles: 1, eta: 2}
      training: {step_size: 1 epoch}
      data: {source: idx, dir: /d, train: [x], test: [y], validation: {files: [v]}}
    - name: t
      sampler: tpe
      trials: 12
      tpe: {startup: 5, batch: 3}
      space: {lambda: {log10: [-5, -1]}, batch_size: {choice: [50, 100]}}
    - name: r
      lr_range: {min: 1e-6, max: 0.5, epochs: 3}
      training: {lambda: 0.001}
    - name: c
      best: 1
      data: {validation: {holdout: 10}}
`)
	if err != nil {
		t.Fatal(err)
	}
	configs = append(configs, c)
	set := map[string]bool{} // Stage fields some test stage sets
	for _, c := range configs {
		for i := range c.Search.Stages {
			st := &c.Search.Stages[i]
			spec, err := EncodeStage(st)
			if err != nil {
				t.Fatal(err)
			}
			back, err := DecodeStage(spec)
			if err != nil {
				t.Fatalf("%s: %v", spec, err)
			}
			again, err := EncodeStage(&back)
			if err != nil || !bytes.Equal(again, spec) {
				t.Errorf("spec %s re-encodes as %s (%v)", spec, again, err)
			}
			// The spec carries the whole stage (its Index is stored
			// beside it): a new field the encoding forgets fails here.
			want := *st
			want.Index = 0
			if len(want.Training) == 0 {
				want.Training = nil
			}
			if !reflect.DeepEqual(back, want) {
				t.Errorf("spec %s decodes to\n%+v, want\n%+v", spec, back, want)
			}
			v := reflect.ValueOf(*st)
			for f := range v.NumField() {
				if !v.Field(f).IsZero() {
					set[v.Type().Field(f).Name] = true
				}
			}
		}
	}
	for _, f := range reflect.VisibleFields(reflect.TypeOf(Stage{})) {
		if !set[f.Name] {
			t.Errorf("no test stage sets Stage.%s; add one so that its encoding is checked", f.Name)
		}
	}
	// An earlier release spelled a step size in updates as a string.
	old := `{"name":"a","sampler":"grid","seeds":1,"training":{"step_size":"100"},"trials":1}`
	st, err := DecodeStage([]byte(old))
	if err != nil || st.Training["step_size"] != (train.StepSize{Updates: 100}) {
		t.Errorf("old spec %s: %+v, %v", old, st, err)
	}
	for _, bad := range []string{
		`{"name":"a","sampler":"grid","seeds":1,"trials":1,"colour":1}`,
		`{"name":"a","seeds":"1"}`,
		`{"name":"a","space":{"lambda":{"log11":[1,2]}}}`,
		`{"name":"a","space":{"lambda":{"log10":[1]}}}`,
		`{"name":"a","training":{"hidden":3}}`,
		`{"name":"a","training":{"lamda":3}}`,
		`{"name":"a","data":{"validation":{"holdout":"all"}}}`,
		`{"name":"a","refine":{"top":2}}`,
		`{"name":"a","halving":{"eta":2}}`,
		`{"name":"a","halving":{"min_cycles":1,"eta":2,"rungs":3}}`,
		`{"name":"a","tpe":{"startup":2}}`,
		`{"name":"a","tpe":{"startup":2,"batch":1,"gamma":0.25}}`,
		`{"name":"a","lr_range":{"min":1e-5,"max":1}}`,
		`{"name":"a","lr_range":{"min":1e-5,"max":1,"epochs":2,"points":3}}`,
		`not json`,
	} {
		if _, err := DecodeStage([]byte(bad)); err == nil || !errors.Is(err, ErrEncoding) {
			t.Errorf("%s: got %v, want an ErrEncoding", bad, err)
		}
	}
}

// A tpe stage stored before rounds were stored (proposals alone) decodes,
// its rounds full batches as that release proposed them.
func TestDerivedWithoutRounds(t *testing.T) {
	d, err := DecodeDerived([]byte(`{"proposed":[{"lambda":0.1},{"lambda":0.2},{"lambda":0.3},{"lambda":0.4},{"lambda":0.5}],"startup":4}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.TPERoundSizes(3); !reflect.DeepEqual(got, []int{3, 2}) {
		t.Errorf("rounds %v, want [3 2]", got)
	}
	st := Stage{Sampler: TPESampler, Trials: 12, TPE: &TPE{Startup: 4, Batch: 3}}
	var got []int
	for i := range st.Trials {
		got = append(got, st.TPERound(d, i))
	}
	if want := []int{0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("rounds of the points %v, want %v", got, want)
	}
}

func TestDerivedRoundTrips(t *testing.T) {
	for _, d := range []Derived{
		{},
		{Ranges: map[string]Range{"lambda": {Lo: -4.25, Hi: -2.75}, "gamma": {Lo: 0.1, Hi: 1e-300}}, From: []string{"a", "b"}},
		{Sources: []string{"x"}},
		{Rates: &RangeRates{EtaMin: 1.2345678901234567e-05, EtaMax: 0.1}},
		{Proposed: []map[string]float64{{"lambda": 0.1234567890123456, "hidden": 0}, {"lambda": 0.9999999999999999, "hidden": 0.5}}, Startup: 3},
		{Proposed: []map[string]float64{{"lambda": 0.25}, {"lambda": 0.5}, {"lambda": 0.75}}, Rounds: []int{2, 1}, Startup: 3},
	} {
		b, err := EncodeDerived(d)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeDerived(b)
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := EncodeDerived(back); !bytes.Equal(again, b) {
			t.Errorf("%s re-encodes as %s", b, again)
		}
		if !reflect.DeepEqual(back, d) {
			t.Errorf("%s decodes to %+v, want %+v", b, back, d)
		}
	}
	for _, bad := range []string{`{"rates":{"eta_min":1}}`, `{"rates":{"eta_min":1,"eta_max":2,"eta":3}}`, `{"rates":[1,2]}`, `{"range":{}}`, `{"ranges":{"lambda":[1]}}`, `{"ranges":{"lambda":[1,2,3]}}`, `{"from":"a"}`,
		`{"proposed":[{"lambda":1}]}`, `{"proposed":[{"lambda":-0.1}]}`, `{"proposed":{"lambda":0.5}}`, `{"proposed":[{"lambda":"0.5"}]}`, `{"startup":-1}`, `{"startup":1.5}`,
		`{"proposed":[{"lambda":0.5}],"rounds":[2]}`, `{"proposed":[{"lambda":0.5},{"lambda":0.6}],"rounds":[1]}`, `{"proposed":[{"lambda":0.5}],"rounds":[0,1]}`, `{"rounds":[1]}`, `{"proposed":[{"lambda":0.5}],"rounds":[]}`} {
		if _, err := DecodeDerived([]byte(bad)); err == nil || !errors.Is(err, ErrEncoding) {
			t.Errorf("%s: got %v, want an ErrEncoding", bad, err)
		}
	}
}

func TestReadSettings(t *testing.T) {
	s, seed, err := ReadSettings([]byte(`{"hidden":8,"step_size":"2 epochs","seed":3}`))
	if err != nil || s["hidden"] != 8 || s["step_size"] != (train.StepSize{Epochs: 2}) || seed == nil || *seed != 3 {
		t.Fatalf("got %v %v %v", s, seed, err)
	}
	// A release that bounded records_per_cycle less tightly stored this.
	if s, _, err := ReadSettings([]byte(`{"records_per_cycle":2000000}`)); err != nil || s["records_per_cycle"] != 2000000 {
		t.Errorf("a stored value beyond today's bounds: %v, %v", s, err)
	}
	for _, bad := range []string{`{"hiden":8}`, `{"hidden":"8"}`, `{"step_size":"2 fortnights"}`, `{"step_size":"100"}`, `null`, `[]`} {
		if _, _, err := ReadSettings([]byte(bad)); err == nil || !errors.Is(err, ErrEncoding) {
			t.Errorf("%s: got %v, want an ErrEncoding", bad, err)
		}
	}
}
