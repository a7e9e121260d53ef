package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests in this file run the sweep binary the way a user does: built
// once, started as a subprocess in a working directory, judged by its exit
// code, its output and the files it leaves behind.

var sweepBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sweep-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sweepBin = filepath.Join(dir, "sweep")
	build := exec.Command("go", "build", "-o", sweepBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building sweep:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// sweep runs the binary in dir and waits for it.
func sweep(t *testing.T, dir string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sweepBin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("sweep %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return result{stdout.String(), stderr.String(), code}
}

// mustSweep runs the binary and fails the test unless it exits 0.
func mustSweep(t *testing.T, dir string, args ...string) result {
	t.Helper()
	r := sweep(t, dir, args...)
	if r.code != 0 {
		t.Fatalf("sweep %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// process is a sweep started in the background.
type process struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
	code   int
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func startSweep(t *testing.T, dir string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(sweepBin, args...)
	cmd.Dir = dir
	p := &process{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = io.Discard, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		p.code = cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	return p
}

// wait waits up to d for the process to end and returns its exit code.
func (p *process) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(d):
		t.Fatalf("sweep still running %v after being asked to stop; stderr:\n%s", d, p.stderr)
		return -1
	}
}

func writeFile(t *testing.T, path string, content []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

func sha(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// tinyBase trains a small network on the embedded data in a few tenths of
// a second: 40 updates, 4 records.
const tinyBase = `name: tiny
seed: 7
data: {source: embedded}
model: {hidden: 8}
training:
  batch_size: 150
  step_size: 20
  cycles: 1
  records_per_cycle: 4
  eta_max: 0.05
  lambda: 1e-3
`

// tinySweep is tinyBase searched over a 3-point lambda grid.
const tinySweep = tinyBase + `search:
  workers: 2
  stages:
    - name: coarse
      sampler: grid
      trials: 3
      space:
        lambda: {log10: [-4, -2]}
`

var (
	pristineOnce sync.Once
	pristineDB   string
	pristineErr  string
)

// tinyDB returns the path of a database made once by running tinySweep;
// callers copy it and never write to it.
func tinyDB(t *testing.T) string {
	t.Helper()
	pristineOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sweep-tinydb-")
		if err != nil {
			pristineErr = err.Error()
			return
		}
		if err := os.WriteFile(filepath.Join(dir, "tiny.yaml"), []byte(tinySweep), 0o644); err != nil {
			pristineErr = err.Error()
			return
		}
		cmd := exec.Command(sweepBin, "run", "tiny.yaml")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			pristineErr = fmt.Sprintf("sweep run tiny.yaml: %v\n%s", err, out)
			return
		}
		pristineDB = filepath.Join(dir, "tiny.db")
	})
	if pristineErr != "" {
		t.Fatal(pristineErr)
	}
	return pristineDB
}

// copyTinyDB puts a copy of the tiny database into dir as name.
func copyTinyDB(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(tinyDB(t))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	writeFile(t, path, b)
	return path
}

func keys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkKeys fails unless m has every required key and no key outside
// required and optional.
func checkKeys(t *testing.T, what string, m map[string]json.RawMessage, required, optional []string) {
	t.Helper()
	allowed := map[string]bool{}
	for _, k := range append(append([]string{}, required...), optional...) {
		allowed[k] = true
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: missing key %q (has %v)", what, k, keys(m))
		}
	}
	for k := range m {
		if !allowed[k] {
			t.Errorf("%s: unexpected key %q", what, k)
		}
	}
}

// oneErrorLine checks the shape of every failure: exactly one stderr line
// "sweep: ..." and no Go panic or stack trace.
func oneErrorLine(t *testing.T, r result) string {
	t.Helper()
	for _, bad := range []string{"goroutine ", "panic:", "fatal error:", "runtime."} {
		if strings.Contains(r.stderr+r.stdout, bad) {
			t.Errorf("output contains %q (a Go crash):\n%s", bad, r)
		}
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "sweep: ") || !strings.HasSuffix(r.stderr, "\n") {
		t.Errorf("stderr is not one line starting with \"sweep: \":\n%s", r)
	}
	return lines[len(lines)-1]
}

func decodeObject(t *testing.T, what string, raw []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, raw)
	}
	return m
}

var trainKeys = []string{"params", "config", "history", "test_accuracy", "test_cost", "test_loss", "seconds", "load_seconds"}

// Keys beyond the contract that sweep train --json also documents.
var trainExtraKeys = []string{"kernel", "record_seconds"}

var recordKeys = []string{"step", "epoch", "eta", "train_cost", "train_loss", "train_accuracy", "val_cost", "val_loss", "val_accuracy"}

var settingKeys = []string{"batch_size", "cycles", "eta_max", "eta_min", "gamma", "hidden", "lambda", "precision",
	"records_per_cycle", "schedule", "seed", "shuffle", "step_size"}

func TestTrainJSON(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tiny.yaml"), []byte(tinyBase))
	for _, tc := range []struct {
		name   string
		args   []string
		lambda float64
	}{
		{"config lambda", nil, 1e-3},
		{"--lambda", []string{"--lambda", "0.025"}, 0.025},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustSweep(t, dir, append([]string{"train", "tiny.yaml", "--json"}, tc.args...)...)
			if r.stderr != "" {
				t.Errorf("stderr not empty: %q", r.stderr)
			}
			out := decodeObject(t, "train --json", []byte(r.stdout))
			checkKeys(t, "train --json", out, trainKeys, trainExtraKeys)

			var params map[string]float64
			if err := json.Unmarshal(out["params"], &params); err != nil {
				t.Fatal(err)
			}
			if len(params) != 1 || params["lambda"] != tc.lambda {
				t.Errorf("params = %v, want {lambda: %g}", params, tc.lambda)
			}

			var config map[string]any
			if err := json.Unmarshal(out["config"], &config); err != nil {
				t.Fatal(err)
			}
			for _, k := range append(settingKeys, "data") {
				if _, ok := config[k]; !ok {
					t.Errorf("config lacks resolved setting %q: %v", k, config)
				}
			}
			want := map[string]any{"hidden": 8.0, "batch_size": 150.0, "cycles": 1.0, "records_per_cycle": 4.0,
				"eta_max": 0.05, "lambda": tc.lambda, "seed": 7.0, "step_size": "20", "schedule": "triangular"}
			for k, v := range want {
				if fmt.Sprint(config[k]) != fmt.Sprint(v) {
					t.Errorf("config[%q] = %v, want %v", k, config[k], v)
				}
			}
			if d, _ := config["data"].(map[string]any); d == nil || d["source"] != "embedded" || d["train_examples"] != 9000.0 {
				t.Errorf("config.data = %v, want the embedded source with 9000 training examples", config["data"])
			}

			var history []map[string]json.RawMessage
			if err := json.Unmarshal(out["history"], &history); err != nil {
				t.Fatal(err)
			}
			// 40 updates (one cycle of two 20-update steps) recorded 4
			// times, plus step 0.
			if len(history) != 5 {
				t.Errorf("history has %d records, want 5", len(history))
			}
			for i, rec := range history {
				checkKeys(t, fmt.Sprintf("history[%d]", i), rec, recordKeys, nil)
			}
			if len(history) > 0 {
				var last struct{ Step int }
				json.Unmarshal(history[len(history)-1]["step"], &last.Step)
				if last.Step != 40 {
					t.Errorf("last record at step %d, want 40", last.Step)
				}
			}
			var nums struct {
				TestAccuracy float64 `json:"test_accuracy"`
				Seconds      float64 `json:"seconds"`
				LoadSeconds  float64 `json:"load_seconds"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &nums); err != nil {
				t.Fatal(err)
			}
			if nums.TestAccuracy < 0.3 || nums.TestAccuracy > 1 || nums.Seconds <= 0 || nums.LoadSeconds <= 0 {
				t.Errorf("test_accuracy %g, seconds %g, load_seconds %g: want an accuracy above chance and positive times",
					nums.TestAccuracy, nums.Seconds, nums.LoadSeconds)
			}
		})
	}
}

func TestTrainNotesSearchSection(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tiny.yaml"), []byte(tinySweep))
	r := mustSweep(t, dir, "train", "tiny.yaml")
	if !strings.Contains(r.stderr, "tiny.yaml has a search section") || !strings.Contains(r.stderr, "sweep run") {
		t.Errorf("no note that the search is not run:\n%s", r)
	}
	if !strings.Contains(r.stdout, "final accuracy") {
		t.Errorf("no final accuracy:\n%s", r)
	}
	if got := listDir(t, dir); len(got) != 1 {
		t.Errorf("train left files behind: %v", got)
	}
}

func TestTrainDiverges(t *testing.T) {
	dir := t.TempDir()
	cfg := strings.Replace(tinyBase, "eta_max: 0.05", "eta_max: 100000", 1)
	cfg = strings.Replace(cfg, "lambda: 1e-3", "lambda: 1e-4", 1)
	writeFile(t, filepath.Join(dir, "div.yaml"), []byte(cfg))
	for _, args := range [][]string{{"train", "div.yaml"}, {"train", "div.yaml", "--json"}} {
		r := sweep(t, dir, args...)
		if r.code != 1 {
			t.Errorf("%v: exit %d, want 1", args, r.code)
		}
		line := oneErrorLine(t, r)
		if !regexp.MustCompile(`diverged at step [1-9][0-9]*\b`).MatchString(line) {
			t.Errorf("%v: error %q does not say at which step it diverged", args, line)
		}
		if args[len(args)-1] == "--json" && r.stdout != "" {
			t.Errorf("--json printed output for a failed run: %q", r.stdout)
		}
	}
}

// A diverged trial's metrics are NaN in training; in JSON they are null or
// absent, never NaN (which is not JSON).
func TestReportDivergedTrialIsNull(t *testing.T) {
	dir := t.TempDir()
	cfg := strings.Replace(tinySweep, "lambda: {log10: [-4, -2]}", "eta_max: {choice: [0.05, 100000]}", 1)
	cfg = strings.Replace(cfg, "trials: 3", "trials: 2", 1)
	writeFile(t, filepath.Join(dir, "tiny.yaml"), []byte(cfg))
	mustSweep(t, dir, "run", "tiny.yaml")
	r := mustSweep(t, dir, "report", "--format", "json")
	if strings.Contains(r.stdout, "NaN") || strings.Contains(r.stdout, "Inf") {
		t.Errorf("report JSON has a non-number:\n%s", r.stdout)
	}
	var rows []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	statuses := map[string]int{}
	for _, row := range rows {
		var status string
		json.Unmarshal(row["status"], &status)
		statuses[status]++
		if status != "diverged" {
			continue
		}
		var step int
		json.Unmarshal(row["diverged_step"], &step)
		if step < 1 {
			t.Errorf("diverged trial has diverged_step %s", row["diverged_step"])
		}
		// Its costs are NaN: they must come out as null (or not at all).
		// Accuracies of a NaN network are numbers and may be reported.
		for _, k := range []string{"val_cost", "val_loss"} {
			if v, ok := row[k]; ok && string(v) != "null" {
				t.Errorf("diverged trial: %s = %s, want null", k, v)
			}
		}
	}
	if statuses["diverged"] != 1 || statuses["done"] != 1 {
		t.Errorf("statuses %v, want one done and one diverged", statuses)
	}
}

var reportKeys = []string{"id", "stage", "status", "params", "config", "val_accuracy", "val_cost", "val_loss",
	"train_accuracy", "test_accuracy", "cycles_trained", "seconds", "wall_seconds"}

// Keys beyond the contract that report --format json also documents.
var reportExtraKeys = []string{"trained_in", "reused", "own_data", "kernel", "error", "diverged_step", "segments"}

func TestRunReportStatusResume(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tiny.yaml"), []byte(tinySweep))

	r := mustSweep(t, dir, "run", "tiny.yaml")
	if !strings.Contains(r.stdout, "database: tiny.db") {
		t.Errorf("run does not print the database path:\n%s", r)
	}
	if n := len(regexp.MustCompile(`(?m)^[123]\s+[0-9a-f]{8}\s+coarse\s+done\s`).FindAllString(r.stdout, -1)); n != 3 {
		t.Errorf("ranking lists %d done trials, want 3:\n%s", n, r)
	}
	if !strings.Contains(r.stderr, "stage coarse: 3 trials, 3 to train") {
		t.Errorf("run does not say what it trains:\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "tiny.db")); err != nil {
		t.Fatal(err)
	}

	r = mustSweep(t, dir, "run", "tiny.yaml")
	if !strings.Contains(r.stderr, "stage coarse: 3 trials, 0 to train") {
		t.Errorf("second run trains again:\n%s", r)
	}

	r = mustSweep(t, dir, "report", "--format", "json")
	var rows []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(rows) != 3 {
		t.Fatalf("report has %d rows, want 3", len(rows))
	}
	var lambdas []float64
	for i, row := range rows {
		checkKeys(t, fmt.Sprintf("report[%d]", i), row, reportKeys, reportExtraKeys)
		var trial struct {
			Status      string             `json:"status"`
			Stage       string             `json:"stage"`
			Params      map[string]float64 `json:"params"`
			Config      map[string]any     `json:"config"`
			ValAccuracy *float64           `json:"val_accuracy"`
		}
		if err := json.Unmarshal(r2b(row), &trial); err != nil {
			t.Fatal(err)
		}
		if trial.Status != "done" || trial.Stage != "coarse" || trial.ValAccuracy == nil {
			t.Errorf("report[%d]: status %q stage %q val_accuracy %v", i, trial.Status, trial.Stage, trial.ValAccuracy)
		}
		l, ok := trial.Params["lambda"]
		if !ok || trial.Config["lambda"] != l || trial.Config["hidden"] != 8.0 {
			t.Errorf("report[%d]: params %v, config %v: want lambda in both and the resolved settings", i, trial.Params, trial.Config)
		}
		lambdas = append(lambdas, l)
	}
	sort.Float64s(lambdas)
	if fmt.Sprintf("%.6g", lambdas) != "[0.0001 0.001 0.01]" {
		t.Errorf("lambdas %v, want the grid 1e-4, 1e-3, 1e-2", lambdas)
	}

	r = mustSweep(t, dir, "status")
	if !strings.Contains(r.stdout, `sweep "tiny" is not running`) ||
		!regexp.MustCompile(`(?m)^coarse\s+3\s+3\s+0\s+0\s+0\s+0$`).MatchString(r.stdout) {
		t.Errorf("status:\n%s", r)
	}

	// resume reads the config from the database: the file is gone.
	if err := os.Remove(filepath.Join(dir, "tiny.yaml")); err != nil {
		t.Fatal(err)
	}
	r = mustSweep(t, dir, "resume")
	if !strings.Contains(r.stderr, "stage coarse: 3 trials, 0 to train") {
		t.Errorf("resume:\n%s", r)
	}
}

func r2b(m map[string]json.RawMessage) []byte {
	b, _ := json.Marshal(m)
	return b
}

// A config or data set that cannot run leaves nothing behind.
// One worker is "1 worker", in the header and in the closing line.
func TestRunNamesOneWorker(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tiny.yaml"), []byte(tinySweep))
	r := mustSweep(t, dir, "run", "tiny.yaml", "--workers", "1")
	for _, want := range []string{"2000 test), 1 worker, database tiny.db", "of 1 worker's time)"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("run --workers 1 does not print %q:\n%s", want, r)
		}
	}
}

// A config of the same name on other data (say sweep init --data idx after
// sweep init) is refused with the files the database was trained on and the
// way out, and the database is left as it was.
func TestRunOtherDataSameName(t *testing.T) {
	dir := t.TempDir()
	db := copyTinyDB(t, dir, "tiny.db")
	before := sha(t, db)
	for name, b := range idxFiles() {
		writeFile(t, filepath.Join(dir, name), b)
	}
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(idxConfig+strings.TrimPrefix(tinySweep, tinyBase)))
	r := sweep(t, dir, "run", "c.yaml")
	want := "tiny.db was trained on other files (embedded:train-images-idx3-ubyte.gz, "
	if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "another name or --db FILE") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("run on other data: want exit 1 and one line with %q and the way out, got %s", want, r)
	}
	if sha(t, db) != before {
		t.Error("the refused run changed the database")
	}
}

func TestRunCreatesNothingOnInvalidInput(t *testing.T) {
	for _, tc := range []struct{ name, cfg, want string }{
		{"unknown key", strings.Replace(tinySweep, "batch_size:", "batch_sise:", 1), `c.yaml:6: training: unknown key "batch_sise"`},
		{"missing data dir", strings.Replace(tinySweep, "{source: embedded}", "{source: idx, dir: nodata}", 1), "nodata"},
		{"batch larger than the data", strings.Replace(tinySweep, "batch_size: 150", "batch_size: 9001", 1), "batch_size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "c.yaml"), []byte(tc.cfg))
			r := sweep(t, dir, "run", "c.yaml")
			if r.code != 1 {
				t.Errorf("exit %d, want 1", r.code)
			}
			if line := oneErrorLine(t, r); !strings.Contains(line, tc.want) {
				t.Errorf("error %q does not contain %q", line, tc.want)
			}
			if got := listDir(t, dir); len(got) != 1 {
				t.Errorf("files left behind: %v", got)
			}
		})
	}
}

func TestFindsTheOnlyDatabase(t *testing.T) {
	commands := [][]string{{"status"}, {"report"}, {"report", "--format", "json"}, {"resume"}}

	none := t.TempDir()
	for _, args := range commands {
		r := sweep(t, none, args...)
		if r.code != 1 || !strings.Contains(oneErrorLine(t, r), "no sweep database") || !strings.Contains(r.stderr, "--db") {
			t.Errorf("%v without a database: want exit 1 and a message pointing at --db:\n%s", args, r)
		}
	}

	two := t.TempDir()
	copyTinyDB(t, two, "first.db")
	copyTinyDB(t, two, "second.db")
	for _, args := range commands {
		r := sweep(t, two, args...)
		line := oneErrorLine(t, r)
		if r.code != 1 || !strings.Contains(line, "first.db") || !strings.Contains(line, "second.db") {
			t.Errorf("%v with two databases: want exit 1 and both listed:\n%s", args, r)
		}
	}
	// --db picks one.
	r := mustSweep(t, two, "report", "--db", "second.db")
	if !strings.Contains(r.stdout, "coarse") {
		t.Errorf("report --db second.db:\n%s", r)
	}

	one := t.TempDir()
	copyTinyDB(t, one, "mine.db")
	for _, args := range commands {
		r := mustSweep(t, one, args...)
		if !strings.Contains(r.stdout+r.stderr, "coarse") {
			t.Errorf("%v: nothing about the sweep:\n%s", args, r)
		}
	}
}

// slowSweep trains long enough (a few seconds a trial: float64, 48 epochs)
// to be interrupted mid-trial, after its first checkpoint (at every half
// cycle), with the status snapshot rewritten once a second.
const slowSweep = `name: slow
seed: 3
data: {source: embedded}
model: {hidden: 50}
training:
  batch_size: 100
  step_size: 12 epochs
  precision: float64
  cycles: 2
  records_per_cycle: 4
  eta_max: 0.05
search:
  workers: 2
  stages:
    - name: coarse
      sampler: grid
      trials: 4
      space:
        lambda: {log10: [-4, -1]}
`

// reportJSON is the report of the database in dir without the timings,
// which differ between any two runs.
func reportJSON(t *testing.T, dir string) string {
	t.Helper()
	r := mustSweep(t, dir, "report", "--format", "json")
	var rows []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		// How long and where each stretch trained, not what it computed:
		// an interrupted trial has more segments.
		delete(row, "seconds")
		delete(row, "wall_seconds")
		delete(row, "segments")
	}
	b, err := json.MarshalIndent(rows, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	referenceOnce   sync.Once
	referenceReport string
)

// slowReference runs slowSweep without interruption, once.
func slowReference(t *testing.T) string {
	t.Helper()
	referenceOnce.Do(func() {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "slow.yaml"), []byte(slowSweep))
		mustSweep(t, dir, "run", "slow.yaml")
		referenceReport = reportJSON(t, dir)
	})
	if referenceReport == "" {
		t.Fatal("the reference run failed")
	}
	return referenceReport
}

// waitForProgress waits until the status snapshot beside db shows a
// running trial past its first checkpoint, a quarter of the way through
// its two cycles, so that a rerun resumes it rather than restarting it.
func waitForProgress(t *testing.T, p *process, db string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("sweep ended (exit %d) before it could be interrupted:\n%s", p.code, p.stderr)
		default:
		}
		var snap struct {
			Live    bool `json:"live"`
			Running []struct {
				Step       int `json:"step"`
				TotalSteps int `json:"total_steps"`
			} `json:"running"`
		}
		if b, err := os.ReadFile(db + ".status"); err == nil && json.Unmarshal(b, &snap) == nil && snap.Live {
			for _, rt := range snap.Running {
				if rt.Step > rt.TotalSteps/4 && rt.Step < rt.TotalSteps {
					return
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no progress in the status snapshot after 30s:\n%s", p.stderr)
}

func TestInterruptAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("trains several seconds")
	}
	want := slowReference(t)

	t.Run("SIGINT", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "slow.yaml"), []byte(slowSweep))
		p := startSweep(t, dir, "run", "slow.yaml")
		waitForProgress(t, p, filepath.Join(dir, "slow.db"))

		// While it runs, a second writer is turned away at once and
		// status reads the snapshot.
		start := time.Now()
		r := sweep(t, dir, "run", "slow.yaml")
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("a second run took %v to fail", took)
		}
		if r.code != 1 || !strings.Contains(oneErrorLine(t, r), "database is in use by another sweep process") {
			t.Errorf("second run on a live database:\n%s", r)
		}
		r = mustSweep(t, dir, "status")
		if !strings.Contains(r.stdout, `sweep "slow" is running`) {
			t.Errorf("status of a running sweep:\n%s", r)
		}

		if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		if code := p.wait(t, 5*time.Second); code != exitInterrupted {
			t.Errorf("exit %d after SIGINT, want %d", code, exitInterrupted)
		}
		stderr := strings.TrimSuffix(p.stderr.String(), "\n")
		if last := stderr[strings.LastIndex(stderr, "\n")+1:]; last != "sweep: interrupted; run the same command again to resume" {
			t.Errorf("last stderr line %q", last)
		}
		for _, bad := range []string{"goroutine ", "panic:"} {
			if strings.Contains(stderr, bad) {
				t.Errorf("stderr has %q:\n%s", bad, stderr)
			}
		}

		r = mustSweep(t, dir, "status")
		// Columns: done, diverged, failed, running, pending.
		m := regexp.MustCompile(`(?m)^coarse\s+4\s+(\d+)\s+0\s+0\s+(\d+)\s+(\d+)$`).FindStringSubmatch(r.stdout)
		if !strings.Contains(r.stdout, "is not running") || m == nil || m[2] != "0" || m[1] == "4" {
			t.Errorf("status after SIGINT: want none running and some not done:\n%s", r)
		}

		r = mustSweep(t, dir, "run", "slow.yaml")
		if !strings.Contains(r.stderr, "resumed at step") {
			t.Errorf("the rerun resumed no trial from a checkpoint:\n%s", r.stderr)
		}
		if got := reportJSON(t, dir); got != want {
			t.Errorf("report after an interrupted run differs from an uninterrupted run:\ngot:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("SIGKILL", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "slow.yaml"), []byte(slowSweep))
		p := startSweep(t, dir, "run", "slow.yaml")
		waitForProgress(t, p, filepath.Join(dir, "slow.db"))
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		p.wait(t, 5*time.Second)

		r := mustSweep(t, dir, "status")
		if strings.Contains(r.stdout, `is running`) {
			t.Errorf("status after SIGKILL says the dead sweep runs:\n%s", r)
		}
		mustSweep(t, dir, "run", "slow.yaml")
		if got := reportJSON(t, dir); got != want {
			t.Errorf("report after a killed run differs from an uninterrupted run:\ngot:\n%s\nwant:\n%s", got, want)
		}
	})
}

// init --help lists exactly the keys a stage may have: those the parser
// lists when it meets an unknown one.
func TestInitHelpListsStageKeys(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte("name: k\nsearch:\n  stages:\n    - {name: a, zzz: 1}\n"))
	line := oneErrorLine(t, sweep(t, dir, "run", "c.yaml", "--plan"))
	m := regexp.MustCompile(`expected one of (.*)\)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("the parser lists no stage keys: %q", line)
	}
	parsed := strings.Split(m[1], ", ")
	help := sweep(t, dir, "init", "--help").stdout
	_, keys, ok := strings.Cut(help, "Keys of a stage")
	if !ok {
		t.Fatalf("init --help lists no stage keys:\n%s", help)
	}
	// A key line is "  KEY[, KEY...]   what it does"; continuations are
	// indented further, and the list ends at the first line that is not
	// indented.
	var listed []string
	for _, l := range strings.Split(keys, "\n")[1:] {
		if !strings.HasPrefix(l, "  ") {
			break
		}
		if !strings.HasPrefix(l, "   ") {
			keys, _, _ := strings.Cut(strings.TrimSpace(l), "   ")
			listed = append(listed, strings.Split(keys, ", ")...)
		}
	}
	slices.Sort(listed)
	if !slices.Equal(listed, parsed) {
		t.Errorf("init --help lists stage keys %v, the parser takes %v", listed, parsed)
	}
}

// sweep init names each config after its file, so that two starter configs
// in one directory keep two databases; standard output keeps my-sweep.
func TestInitNamesTheSweepAfterItsFile(t *testing.T) {
	dir := t.TempDir()
	for file, want := range map[string]string{"exp-a.yaml": `name: "exp-a"`, "sweep.yml": `name: "sweep"`} {
		mustSweep(t, dir, "init", file)
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want+" ") || !strings.Contains(string(b), strings.TrimSuffix(file, filepath.Ext(file))+".db unless") {
			t.Errorf("%s does not start with %s naming its database:\n%.200s", file, want, b)
		}
	}
	if out := mustSweep(t, dir, "init", "-").stdout; !strings.Contains(out, `name: "my-sweep"`) {
		t.Errorf("init - names the sweep otherwise:\n%.300s", out)
	}
}
