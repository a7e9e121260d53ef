package main

import (
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// idxImages is an IDX images file: magic 0x00000803, count, rows, cols,
// then count*rows*cols pixels.
func idxImages(count, rows, cols int) []byte {
	b := make([]byte, 16+count*rows*cols)
	binary.BigEndian.PutUint32(b[0:], 0x803)
	binary.BigEndian.PutUint32(b[4:], uint32(count))
	binary.BigEndian.PutUint32(b[8:], uint32(rows))
	binary.BigEndian.PutUint32(b[12:], uint32(cols))
	for i := range b[16:] {
		b[16+i] = uint8(i * 37)
	}
	return b
}

// idxLabels is an IDX labels file: magic 0x00000801, count, then labels
// cycling through the 10 classes.
func idxLabels(count int) []byte {
	b := make([]byte, 8+count)
	binary.BigEndian.PutUint32(b[0:], 0x801)
	binary.BigEndian.PutUint32(b[4:], uint32(count))
	for i := range count {
		b[8+i] = uint8(i % 10)
	}
	return b
}

const (
	trainImages = "train-images-idx3-ubyte"
	trainLabels = "train-labels-idx1-ubyte"
	testImages  = "t10k-images-idx3-ubyte"
	testLabels  = "t10k-labels-idx1-ubyte"
)

// idxFiles is a valid small IDX data set of 4x4 images: 200 training
// examples and 50 test examples; idxConfig trains on it with a holdout of 50.
func idxFiles() map[string][]byte {
	return map[string][]byte{
		"idx/" + trainImages: idxImages(200, 4, 4),
		"idx/" + trainLabels: idxLabels(200),
		"idx/" + testImages:  idxImages(50, 4, 4),
		"idx/" + testLabels:  idxLabels(50),
	}
}

const idxConfig = `name: tiny
data: {source: idx, dir: idx, validation: {holdout: 50}}
model: {hidden: 4}
training: {batch_size: 50, step_size: 6, cycles: 1, records_per_cycle: 2}
`

// withFile returns the valid IDX files with one replaced (nil removes it).
func withFile(name string, content []byte) map[string][]byte {
	files := idxFiles()
	if content == nil {
		delete(files, "idx/"+name)
	} else {
		files["idx/"+name] = content
	}
	return files
}

// The IDX files and config the bad-data cases break really do train.
func TestIDXControl(t *testing.T) {
	dir := t.TempDir()
	for name, b := range idxFiles() {
		writeFile(t, filepath.Join(dir, name), b)
	}
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(idxConfig))
	r := mustSweep(t, dir, "train", "c.yaml")
	if !strings.Contains(r.stdout, "150 train / 50 validation / 50 test examples of 16 features") {
		t.Errorf("unexpected data:\n%s", r)
	}
}

// One record per update fills a cycle exactly.
func TestRecordEveryUpdate(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(strings.Replace(tinyBase, "records_per_cycle: 4", "records_per_cycle: 40", 1)))
	r := mustSweep(t, dir, "train", "c.yaml", "--json")
	var out struct{ History []struct{ Step int } }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.History) != 41 {
		t.Errorf("%d records, want one per update and step 0: 41", len(out.History))
	}
}

// cfgWith is tinySweep with one line replaced.
func cfgWith(old, new string) string {
	if !strings.Contains(tinySweep, old) {
		panic("tinySweep has no " + old)
	}
	return strings.Replace(tinySweep, old, new, 1)
}

// halvingWith is tinySweep trained for 9 cycles with a halving option.
func halvingWith(halving string) string {
	return strings.Replace(cfgWith("trials: 3", "trials: 3\n      halving: "+halving), "cycles: 1", "cycles: 9", 1)
}

// rangeStage is tinySweep with its stage replaced by a range stage whose
// lr_range (on line 16) is spec.
func rangeStage(spec string) string {
	return cfgWith("    - name: coarse\n      sampler: grid\n      trials: 3\n      space:\n        lambda: {log10: [-4, -2]}\n",
		"    - name: range\n      lr_range: "+spec+"\n")
}

type badInput struct {
	name   string
	config string            // written to c.yaml unless empty
	files  map[string][]byte // more files, by path relative to the case's dir
	args   []string          // default: run c.yaml
	want   string            // the error line must contain this
	needs  string            // subcommand that must exist for the case to apply
}

func badInputs() []badInput {
	truncated := idxImages(200, 4, 4)
	truncated = truncated[:len(truncated)-7]
	wrongMagic := idxImages(200, 4, 4)
	binary.BigEndian.PutUint32(wrongMagic, 0x804)
	wrongLabelMagic := idxLabels(200)
	binary.BigEndian.PutUint32(wrongLabelMagic, 0x803)
	badLabel := idxLabels(200)
	badLabel[8+17] = 10
	zeroCount := idxImages(0, 4, 4)

	return []badInput{
		// Config: YAML syntax.
		{name: "yaml unclosed flow", config: "name: [tiny\n", want: "c.yaml:1:"},
		{name: "yaml tab indent", config: "name: tiny\ntraining:\n\tbatch_size: 10\n", want: "c.yaml:3"},
		{name: "yaml bad indentation", config: cfgWith("  batch_size: 150", "    batch_size: 150"), want: "c.yaml:"},
		{name: "yaml duplicate key", config: cfgWith("  cycles: 1", "  cycles: 1\n  cycles: 2"), want: `c.yaml:9: training.cycles: duplicate key "cycles" (first on line 8)`},
		{name: "not yaml at all", config: "\x00\x01\x02binary", want: "c.yaml"},
		{name: "top level is a list", config: "- name: tiny\n", want: "c.yaml: expected a mapping"},
		// Config: a range stage.
		{name: "lr_range min 0", config: rangeStage("{min: 0, max: 1, epochs: 1}"), want: `c.yaml:16: search.stages[0].lr_range.min: must be a finite number > 0, got 0`},
		{name: "lr_range max below min", config: rangeStage("{min: 0.1, max: 0.01}"), want: `c.yaml:16: search.stages[0].lr_range.max: must be a finite number above min 0.1, got 0.01`},
		{name: "lr_range epochs 0", config: rangeStage("{epochs: 0}"), want: `c.yaml:16: search.stages[0].lr_range.epochs: must be between 1 and 2147483648, got 0`},
		{name: "lr_range epochs beyond 2^31 updates", config: rangeStage("{epochs: 100000000}"), want: `c.yaml:16: search.stages[0].lr_range.epochs: 100000000 epochs of 60 updates each is more than 2147483648 updates`},
		{name: "lr_range epochs not a number", config: rangeStage("{epochs: two}"), want: `c.yaml:16: search.stages[0].lr_range.epochs: expected an integer, got string "two"`},
		{name: "lr_range unknown key", config: rangeStage("{mx: 1}"), want: `c.yaml:16: search.stages[0].lr_range: unknown key "mx"`},
		{name: "lr_range beside sampler", config: cfgWith("sampler: grid", "lr_range: {}\n      sampler: grid"), want: `c.yaml:17: search.stages[0].sampler: sampler beside lr_range: a range stage is one training and samples nothing`},
		{name: "lr_range beside space", config: rangeStage("{}\n      space: {lambda: {log10: [-4, -2]}}"), want: `c.yaml:17: search.stages[0].space: space beside lr_range`},
		{name: "lr_range beside its own eta_max", config: rangeStage("{}\n      training: {eta_max: 0.1}"), want: `c.yaml:17: search.stages[0].training.eta_max: set by the stage's lr_range; remove it here`},
		// Config: unknown keys.
		{name: "unknown top-level key", config: cfgWith("seed: 7", "sed: 7"), want: `c.yaml:2: unknown key "sed"`},
		{name: "unknown training key", config: cfgWith("batch_size:", "batch_sise:"), want: `c.yaml:6: training: unknown key "batch_sise"`},
		{name: "unknown model key", config: cfgWith("{hidden: 8}", "{hiden: 8}"), want: `c.yaml:4: model: unknown key "hiden"`},
		{name: "unknown stage key", config: cfgWith("sampler: grid", "sampler: grid\n      trails: 3"), want: `c.yaml:17: search.stages[0]: unknown key "trails"`},
		{name: "unknown searched setting", config: cfgWith("lambda: {log10", "lamda: {log10"), want: `c.yaml:19: search.stages[0].space: unknown key "lamda"`},
		// Config: wrong types.
		{name: "batch_size is text", config: cfgWith("batch_size: 150", "batch_size: big"), want: "c.yaml:6: training.batch_size"},
		{name: "hidden is fractional", config: cfgWith("{hidden: 8}", "{hidden: 8.5}"), want: "c.yaml:4: model.hidden"},
		{name: "cycles is a list", config: cfgWith("cycles: 1", "cycles: [1]"), want: "c.yaml:8: training.cycles"},
		{name: "lambda is text", config: cfgWith("lambda: 1e-3", "lambda: small"), want: "c.yaml:11: training.lambda"},
		{name: "training is a scalar", config: "name: tiny\ntraining: 5\n", want: "c.yaml:2: training"},
		{name: "workers is text", config: cfgWith("workers: 2", "workers: many"), want: "c.yaml:13: search.workers"},
		// Config: impossible or absurd values.
		{name: "empty name", config: cfgWith("name: tiny", `name: ""`), want: "c.yaml:1: name"},
		{name: "batch_size zero", config: cfgWith("batch_size: 150", "batch_size: 0"), want: "c.yaml:6: training.batch_size"},
		{name: "batch_size negative", config: cfgWith("batch_size: 150", "batch_size: -5"), want: "c.yaml:6: training.batch_size"},
		{name: "hidden zero", config: cfgWith("{hidden: 8}", "{hidden: 0}"), want: "c.yaml:4: model.hidden"},
		{name: "cycles zero", config: cfgWith("cycles: 1", "cycles: 0"), want: "c.yaml:8: training.cycles"},
		{name: "step_size zero", config: cfgWith("step_size: 20", "step_size: 0"), want: "c.yaml:7: training.step_size"},
		{name: "step_size unparsable", config: cfgWith("step_size: 20", "step_size: two epochs"), want: "c.yaml:7: training.step_size"},
		{name: "records_per_cycle zero", config: cfgWith("records_per_cycle: 4", "records_per_cycle: 0"), want: "c.yaml:9: training.records_per_cycle"},
		{name: "eta_max negative", config: cfgWith("eta_max: 0.05", "eta_max: -1"), want: "c.yaml:10: training.eta_max"},
		{name: "eta_min above eta_max", config: cfgWith("eta_max: 0.05", "eta_max: 0.05\n  eta_min: 1"), want: "training.eta_min"},
		{name: "lambda negative", config: cfgWith("lambda: 1e-3", "lambda: -1"), want: "c.yaml:11: training.lambda"},
		{name: "unknown schedule", config: cfgWith("lambda: 1e-3", "lambda: 1e-3\n  schedule: sawtooth"), want: "c.yaml:12: training.schedule"},
		{name: "unknown precision", config: cfgWith("lambda: 1e-3", "lambda: 1e-3\n  precision: float16"), want: "c.yaml:12: training.precision"},
		{name: "exp_range gamma above 1", config: cfgWith("lambda: 1e-3", "lambda: 1e-3\n  schedule: exp_range\n  gamma: 2"), want: "training.gamma"},
		{name: "unknown data source", config: cfgWith("{source: embedded}", "{source: mnist}"), want: "c.yaml:3: data.source"},
		{name: "idx without dir", config: cfgWith("{source: embedded}", "{source: idx}"), want: "data.dir"},
		{name: "negative holdout", config: cfgWith("{source: embedded}", "{source: embedded, validation: {holdout: -1}}"), want: "data.validation.holdout"},
		{name: "holdout takes all the data", config: cfgWith("{source: embedded}", "{source: embedded, validation: {holdout: 10000}}"), want: "holdout"},
		{name: "workers zero", config: cfgWith("workers: 2", "workers: 0"), want: "c.yaml:13: search.workers"},
		{name: "no stages", config: tinyBase + "search:\n  stages: []\n", want: "c.yaml:13: search.stages"},
		{name: "unknown sampler", config: cfgWith("sampler: grid", "sampler: bayes"), want: "c.yaml:16: search.stages[0].sampler"},
		{name: "zero trials", config: cfgWith("trials: 3", "trials: 0"), want: "c.yaml:17: search.stages[0].trials"},
		{name: "absurd trials", config: cfgWith("trials: 3", "trials: 1000000000000"), want: "c.yaml:17: search.stages[0].trials"},
		{name: "reversed range", config: cfgWith("[-4, -2]", "[-2, -4]"), want: "c.yaml:19: search.stages[0].space.lambda"},
		{name: "range gives negative lambda", config: cfgWith("{log10: [-4, -2]}", "{uniform: [-1, 1]}"), want: "c.yaml:19: search.stages[0].space.lambda"},
		{name: "after an unknown stage", config: cfgWith("sampler: grid", "sampler: grid\n      after: warmup"), want: "c.yaml:17: search.stages[0].after"},
		{name: "halving eta 1", config: halvingWith("{min_cycles: 1, eta: 1}"), want: "c.yaml:18: search.stages[0].halving.eta: must be an integer between 2 and 10000, got 1"},
		{name: "halving eta not an integer", config: halvingWith("{eta: 2.5}"), want: "c.yaml:18: search.stages[0].halving.eta: expected an integer, got 2.5"},
		{name: "halving eta absurd", config: halvingWith("{eta: 1000000000000}"), want: "c.yaml:18: search.stages[0].halving.eta: must be an integer between 2 and 10000"},
		{name: "halving min_cycles 0", config: halvingWith("{min_cycles: 0}"), want: "c.yaml:18: search.stages[0].halving.min_cycles: must be at least 1, got 0"},
		{name: "halving min_cycles reaches cycles", config: halvingWith("{min_cycles: 9}"), want: "c.yaml:18: search.stages[0].halving.min_cycles: must be less than the stage's training.cycles 9 (the last rung), got 9"},
		{name: "halving on one cycle", config: cfgWith("trials: 3", "trials: 3\n      halving: {min_cycles: 1}"), want: "c.yaml:18: search.stages[0].halving.min_cycles: must be less than the stage's training.cycles 1"},
		{name: "halving unknown key", config: halvingWith("{rungs: 3}"), want: `c.yaml:18: search.stages[0].halving: unknown key "rungs"`},
		{name: "halving not a mapping", config: halvingWith("3"), want: "c.yaml:18: search.stages[0].halving: expected a mapping"},
		{name: "duplicate stage name", config: tinySweep + "    - name: coarse\n      trials: 1\n", want: "duplicate stage name"},
		{name: "batch larger than the data", config: cfgWith("batch_size: 150", "batch_size: 9001"), want: "c.yaml:6: training.batch_size"},
		{name: "batch larger than the data (train)", config: cfgWith("batch_size: 150", "batch_size: 9001"), args: []string{"train", "c.yaml"}, want: "c.yaml:6: training.batch_size"},
		{name: "records do not fit a cycle (train)", config: cfgWith("records_per_cycle: 4", "records_per_cycle: 50"), args: []string{"train", "c.yaml"}, want: "c.yaml:9: training.records_per_cycle"},
		{name: "absurd run (train)", config: cfgWith("step_size: 20\n  cycles: 1\n  records_per_cycle: 4", "step_size: 1099511627776\n  cycles: 10000\n  records_per_cycle: 1099511627776"), args: []string{"train", "c.yaml"}, want: "c.yaml:9: training.records_per_cycle: 1 + training.cycles 10000 x training.records_per_cycle 1099511627776 is more than 1000000 recorded points"},
		{name: "absurd run", config: cfgWith("step_size: 20\n  cycles: 1\n  records_per_cycle: 4", "step_size: 1099511627776\n  cycles: 10000\n  records_per_cycle: 1099511627776"), want: "c.yaml:9: training.records_per_cycle: 1 + training.cycles"},
		{name: "network too big for memory (train)", config: strings.Replace(cfgWith("batch_size: 150", "batch_size: 9000\n  precision: float64"), "hidden: 8", "hidden: 65536", 1), args: []string{"train", "c.yaml"}, want: "c.yaml:4: model.hidden: 65536 hidden units with training.batch_size 9000 on 784 features need about"},
		{name: "network too big for memory", config: strings.Replace(cfgWith("batch_size: 150", "batch_size: 9000\n  precision: float64"), "hidden: 8", "hidden: 65536", 1), want: "more than the 4 GiB a trial may use"},
		{name: "run for millennia", config: cfgWith("step_size: 20", "step_size: 1099511627776"), want: "c.yaml:7: training.step_size: training.cycles 1 x 2 x training.step_size 1099511627776 is more than 2147483648 updates"},
		{name: "epochs too long for the data", config: cfgWith("step_size: 20", "step_size: 30000000 epochs"), want: "c.yaml:7: training.step_size: training.cycles 1 x 2 x training.step_size 30000000 epochs is more than 2147483648 updates"},
		{name: "searched cycles too long for the data", config: cfgWith("step_size: 20", "step_size: 1000000 epochs") + "        cycles: {int: [1, 100]}\n", want: "c.yaml:7: training.step_size: training.cycles 51 x 2 x training.step_size 1000000 epochs is more than 2147483648 updates (at cycles=51, lambda=0.0001)"},
		{name: "hidden absurdly large", config: cfgWith("{hidden: 8}", "{hidden: 100000000}"), args: []string{"train", "c.yaml"}, want: "c.yaml:4: model.hidden"},

		// Data files.
		{name: "data dir missing", config: idxConfig, want: "c.yaml:2: data.dir: "},
		{name: "empty config file", files: map[string][]byte{"e.yaml": {}}, args: []string{"run", "e.yaml"}, want: "e.yaml: the file sets nothing"},
		{name: "images file missing", config: idxConfig, files: withFile(trainImages, nil), want: trainImages},
		{name: "labels file missing", config: idxConfig, files: withFile(trainLabels, nil), want: trainLabels},
		{name: "images empty", config: idxConfig, files: withFile(trainImages, []byte{}), want: trainImages + ": truncated"},
		{name: "images header truncated", config: idxConfig, files: withFile(trainImages, idxImages(200, 4, 4)[:10]), want: trainImages + ": truncated"},
		{name: "images pixels truncated", config: idxConfig, files: withFile(trainImages, truncated), want: trainImages + ": size mismatch"},
		{name: "images wrong magic", config: idxConfig, files: withFile(trainImages, wrongMagic), want: trainImages + ": wrong magic"},
		{name: "labels wrong magic", config: idxConfig, files: withFile(trainLabels, wrongLabelMagic), want: trainLabels + ": wrong magic"},
		{name: "label 10", config: idxConfig, files: withFile(trainLabels, badLabel), want: trainLabels + ": label 10 of example 17"},
		{name: "zero images", config: idxConfig, files: withFile(trainImages, zeroCount), want: trainImages + ": empty"},
		{name: "labels fewer than images", config: idxConfig, files: withFile(trainLabels, idxLabels(199)), want: trainLabels},
		{name: "test images of another size", config: idxConfig, files: withFile(testImages, idxImages(50, 5, 5)), want: testImages},
		{name: "gzip garbage", config: idxConfig, files: withFile(testLabels, []byte{0x1f, 0x8b, 8, 0, 1, 2, 3}), want: testLabels},
		{name: "default holdout larger than the data", config: strings.Replace(idxConfig, ", validation: {holdout: 50}", "", 1), files: idxFiles(), want: "holdout"},
		{name: "batch larger than idx data (train)", config: strings.Replace(idxConfig, "batch_size: 50", "batch_size: 151", 1), files: idxFiles(), args: []string{"train", "c.yaml"}, want: "c.yaml:4: training.batch_size"},

		// Command line.
		{name: "config missing", args: []string{"run", "nope.yaml"}, want: "nope.yaml"},
		{name: "config is a directory", args: []string{"run", "."}, want: "."},
		{name: "train without config", args: []string{"train"}, want: "train takes 1 argument, got 0 (usage: sweep train CONFIG"},
		{name: "run with two configs", config: tinySweep, args: []string{"run", "c.yaml", "c.yaml"}, want: "run takes 1 argument, got 2 (usage: sweep run CONFIG [flags])"},
		{name: "status with an argument", args: []string{"status", "tiny.db"}, want: "sweep: status takes no arguments, got 1 (usage: sweep status [flags]); name a database with --db"},
		{name: "unknown command", args: []string{"statuss"}, want: `unknown command "statuss" for "sweep" (did you mean status?)`},
		{name: "unknown flag", config: tinySweep, args: []string{"run", "--worker", "3", "c.yaml"}, want: "--worker"},
		{name: "workers negative", config: tinySweep, args: []string{"run", "--workers", "-1", "c.yaml"}, want: "--workers"},
		{name: "resume workers negative", args: []string{"resume", "--db", "tiny.db", "--workers", "-1"}, want: "--workers must be between 0 and 256"},
		{name: "workers beyond the bound", config: tinySweep, args: []string{"run", "--workers", "100000", "c.yaml"}, want: "--workers must be between 0 and 256"},
		{name: "search.workers beyond the bound", config: cfgWith("workers: 2", "workers: 100000"), want: "c.yaml:13: search.workers: must be between 1 and 256, got 100000"},
		{name: "lambda not a number", config: tinyBase, args: []string{"train", "c.yaml", "--lambda", "abc"}, want: `sweep: --lambda "abc": expected a number`},
		{name: "lambda out of range", config: tinyBase, args: []string{"train", "c.yaml", "--lambda", "1e999"}, want: `sweep: --lambda "1e999": out of range, expected a number that fits`},
		{name: "empty --nats", config: tinySweep, args: []string{"run", "c.yaml", "--nats", ""}, want: "sweep: --nats is empty; give a server URL"},
		{name: "ack-wait without --nats", config: tinySweep, args: []string{"run", "c.yaml", "--ack-wait", "5s"}, want: "sweep: --ack-wait needs --nats"},
		{name: "workers not an integer", config: tinySweep, args: []string{"run", "c.yaml", "--workers", "two"}, want: `sweep: --workers "two": expected an integer`},
		{name: "lambda negative flag", config: tinyBase, args: []string{"train", "c.yaml", "--lambda", "-1"}, want: "--lambda must be a finite number >= 0, got -1"},
		{name: "lambda NaN flag", config: tinyBase, args: []string{"train", "c.yaml", "--lambda", "NaN"}, want: "--lambda must be a finite number >= 0, got NaN"},
		{name: "report bad format", args: []string{"report", "--format", "xml"}, want: "--format"},
		{name: "export without what", args: []string{"export"}, want: "export histories or export weights"},
		{name: "export unknown kind", args: []string{"export", "foo"}, want: `unknown export "foo"`},
		{name: "report negative top", args: []string{"report", "--top", "-1"}, want: "--top"},
		{name: "report unknown stage", args: []string{"report", "--stage", "fine"}, want: `no stage "fine"`},
		{name: "export histories unknown stage", args: []string{"export", "histories", "--stage", "fine"}, want: `no stage "fine" in tiny.db (stages: `},
		{name: "report missing db", args: []string{"report", "--db", "nope.db"}, want: "no sweep database at nope.db"},
		{name: "status missing db", args: []string{"status", "--db", "nope.db"}, want: "no sweep database at nope.db"},
		{name: "resume missing db", args: []string{"resume", "--db", "nope.db"}, want: "no sweep database at nope.db"},
		{name: "report db is not a database", files: map[string][]byte{"junk.db": []byte("not a bbolt file")}, args: []string{"report", "--db", "junk.db"}, want: "junk.db"},
		{name: "show unknown trial", args: []string{"show", "ffffffff"}, want: "ffffffff", needs: "show"},
		{name: "show ambiguous empty id", args: []string{"show", ""}, want: "trial", needs: "show"},
		{name: "export weights unknown trial", args: []string{"export", "weights", "ffffffff", "-o", "w.npz"}, want: "ffffffff", needs: "export"},
	}
}

// Every bad input fails with exit status 1 or 2 and one line naming what is
// wrong, without a crash, and leaves the database beside it untouched.
func TestBadInput(t *testing.T) {
	help := mustSweep(t, t.TempDir(), "--help").stdout
	cases := badInputs()
	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needs != "" && !strings.Contains(help, "\n  "+tc.needs+" ") {
				t.Skipf("sweep has no %q command", tc.needs)
			}
			t.Parallel()
			dir := t.TempDir()
			db := copyTinyDB(t, dir, "tiny.db")
			before := sha(t, db)
			if tc.config != "" {
				writeFile(t, filepath.Join(dir, "c.yaml"), []byte(tc.config))
			}
			for name, b := range tc.files {
				writeFile(t, filepath.Join(dir, name), b)
			}
			files := listDir(t, dir)
			args := tc.args
			if args == nil {
				args = []string{"run", "c.yaml"}
			}

			r := sweep(t, dir, args...)
			if r.code != exitFailure && r.code != exitUsage {
				t.Errorf("exit %d, want %d or %d", r.code, exitFailure, exitUsage)
			}
			line := oneErrorLine(t, r)
			t.Log(line)
			if !strings.Contains(line, tc.want) {
				t.Errorf("error %q does not contain %q", line, tc.want)
			}
			if after := sha(t, db); after != before {
				t.Errorf("the database changed")
			}
			if got := listDir(t, dir); strings.Join(got, " ") != strings.Join(files, " ") {
				t.Errorf("files %v after the command, want %v", got, files)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty: %q", r.stdout)
			}
		})
	}
}
