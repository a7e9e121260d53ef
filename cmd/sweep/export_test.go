package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"

	"github.com/sweep-ml/sweep/pkg/data"
	"github.com/sweep-ml/sweep/pkg/train"
)

// bestTrial reads the ranking's first trial: its id and test accuracy.
func bestTrial(t *testing.T, dir string) (string, float64) {
	t.Helper()
	var rows []struct {
		ID           string   `json:"id"`
		TestAccuracy *float64 `json:"test_accuracy"`
	}
	r := mustSweep(t, dir, "report", "--format", "json", "--top", "1")
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 1 || rows[0].TestAccuracy == nil {
		t.Fatalf("report json: %v\n%s", err, r.stdout)
	}
	return rows[0].ID, *rows[0].TestAccuracy
}

// TestExportWeightsReproduceTestAccuracy exports a really trained network
// and recomputes its test accuracy from the .npz alone: in Go with
// train.Evaluate and, where NumPy is installed, with the lines of
// docs/numpy.md. Both must equal the stored accuracy exactly.
func TestExportWeightsReproduceTestAccuracy(t *testing.T) {
	dir := t.TempDir()
	copyTinyDB(t, dir, "tiny.db")
	id, stored := bestTrial(t, dir)
	mustSweep(t, dir, "export", "weights", id[:6], "-o", "best.npz")
	npzPath := filepath.Join(dir, "best.npz")

	f, err := npz.Open(npzPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var w train.Weights
	var mean, std []float64
	for name, dst := range map[string]*[]float64{"W1": &w.W1, "b1": &w.B1, "W2": &w.W2, "b2": &w.B2, "mean": &mean, "std": &std} {
		if err := f.Read(name, dst); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	w.M, w.D, w.K = f.Header("W1").Descr.Shape[0], f.Header("W1").Descr.Shape[1], f.Header("W2").Descr.Shape[0]
	var lambda float64
	if err := f.Read("param_lambda", &lambda); err != nil {
		t.Fatal(err)
	}
	ds, err := data.Load(t.Context(), data.Spec{Source: data.SourceEmbedded})
	if err != nil {
		t.Fatal(err)
	}
	test := train.Examples{Pixels: ds.Test.Pixels, Labels: ds.Test.Labels, N: ds.Test.N}
	if got := train.Evaluate(w, lambda, mean, std, test).Accuracy; got != stored {
		t.Errorf("train.Evaluate on the exported weights: test accuracy %v, stored %v", got, stored)
	}

	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import numpy").Run(); err != nil {
		t.Skipf("skipping the NumPy check: %s with numpy not available (%v)", python, err)
	}
	doc, err := os.ReadFile("../../docs/numpy.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(doc), "```python\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("docs/numpy.md has no ```python block")
	}
	script := filepath.Join(dir, "check.py")
	if err := os.WriteFile(script, []byte(block), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, script, npzPath,
		"../../pkg/data/embedded/t10k-images-idx3-ubyte.gz", "../../pkg/data/embedded/t10k-labels-idx1-ubyte.gz").CombinedOutput()
	if err != nil {
		t.Fatalf("docs/numpy.md lines: %v\n%s", err, out)
	}
	fields := strings.Fields(string(out))
	if len(fields) != 2 {
		t.Fatalf("docs/numpy.md lines printed %q, want two numbers", out)
	}
	for i, what := range []string{"NumPy accuracy", "test_accuracy in the .npz"} {
		v, err := strconv.ParseFloat(fields[i], 64)
		if err != nil || v != stored {
			t.Errorf("%s = %s, stored test accuracy %v", what, fields[i], stored)
		}
	}
}

func TestExportRefusesToClobber(t *testing.T) {
	dir := t.TempDir()
	copyTinyDB(t, dir, "tiny.db")
	id, _ := bestTrial(t, dir)
	for _, args := range [][]string{
		{"export", "weights", id, "-o", "out"},
		{"export", "histories", "-o", "out"},
		{"report", "-o", "out"},
	} {
		writeFile(t, filepath.Join(dir, "out"), []byte("keep"))
		r := sweep(t, dir, args...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "out already exists; use --force") {
			t.Errorf("%v over an existing file: %s", args, r)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "out")); string(b) != "keep" {
			t.Errorf("%v changed the existing file", args)
		}
		mustSweep(t, dir, append(args, "--force")...)
		if b, _ := os.ReadFile(filepath.Join(dir, "out")); string(b) == "keep" {
			t.Errorf("%v --force did not replace the file", args)
		}
		if err := os.Symlink("elsewhere", filepath.Join(dir, "link")); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		link := append(args[:len(args)-1:len(args)-1], "link", "--force")
		if r := sweep(t, dir, link...); r.code != exitFailure || !strings.Contains(r.stderr, "symbolic link") {
			t.Errorf("%v: %s", link, r)
		}
		if _, err := os.Lstat(filepath.Join(dir, "elsewhere")); !os.IsNotExist(err) {
			t.Errorf("%v wrote through the link", link)
		}
	}
	if got := listDir(t, dir); strings.Join(got, " ") != "link out tiny.db" {
		t.Errorf("directory holds %v, want no temporary files", got)
	}
}

func TestShowAndUsageErrors(t *testing.T) {
	dir := t.TempDir()
	copyTinyDB(t, dir, "tiny.db")
	id, _ := bestTrial(t, dir)
	r := mustSweep(t, dir, "show", id[:5])
	for _, want := range []string{"trial      " + id, "status     done", "test       accuracy", "history (5 records)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"show", ""}, exitFailure, "empty trial id"},
		{[]string{"show", "zzzz"}, exitFailure, `no trial "zzzz" in tiny.db`},
		{[]string{"report", "--format", "xml"}, exitUsage, "--format must be one of table, json, csv, markdown"},
		{[]string{"report", "--sort", "speed"}, exitUsage, `unknown sort key "speed" (valid: val_accuracy, val_cost, val_loss, train_accuracy, test_accuracy, seconds, lambda)`},
		{[]string{"report", "--status", "great"}, exitUsage, "--status must be one of"},
		{[]string{"export", "histories", "--format", "parquet"}, exitUsage, "--format must be one of csv, jsonl"},
		{[]string{"export", "weights", id}, exitUsage, "needs -o FILE.npz"},
	} {
		r := sweep(t, dir, tc.args...)
		if r.code != tc.code || !strings.Contains(oneErrorLine(t, r), tc.want) {
			t.Errorf("sweep %q: %s\nwant exit %d and %q", tc.args, r, tc.code, tc.want)
		}
	}
	// An ambiguous prefix lists the trials it matches. The tiny sweep's ids
	// are hashes, so find a first character two of them share.
	ids := map[byte][]string{}
	ranking := mustSweep(t, dir, "report", "--format", "csv").stdout
	for _, line := range strings.Split(ranking, "\n")[1:] {
		if f := strings.Split(line, ","); len(f) > 1 {
			ids[f[1][0]] = append(ids[f[1][0]], f[1])
		}
	}
	for c, same := range ids {
		if len(same) > 1 {
			r := sweep(t, dir, "show", string(c))
			if r.code != exitFailure || !strings.Contains(r.stderr, "is ambiguous") || !strings.Contains(r.stderr, same[0]) || !strings.Contains(r.stderr, same[1]) {
				t.Errorf("ambiguous prefix %q: %s", string(c), r)
			}
			return
		}
	}
	t.Log("no two trial ids share a first character; ambiguity is covered by pkg/report's TestFindTrial")
}

// TestDashIsStandardOutput: "-o -" writes to standard output, as "-" means
// for init's FILE, and never creates a file named "-".
func TestDashIsStandardOutput(t *testing.T) {
	dir := t.TempDir()
	copyTinyDB(t, dir, "tiny.db")
	id, _ := bestTrial(t, dir)
	for _, tc := range []struct {
		args []string
		want string // how standard output starts
	}{
		{[]string{"report", "--format", "csv", "-o", "-"}, "rank,id,stage"},
		{[]string{"report", "--format", "html", "-o", "-"}, "<!DOCTYPE html>"},
		{[]string{"export", "histories", "-o", "-"}, "trial,stage,status"},
		{[]string{"export", "histories", "--format", "jsonl", "-o", "-"}, `{"trial":`},
		{[]string{"export", "weights", id, "-o", "-"}, "PK\x03\x04"},
	} {
		r := mustSweep(t, dir, tc.args...)
		if !strings.HasPrefix(r.stdout, tc.want) {
			t.Errorf("sweep %q: standard output starts %.40q, want %q", tc.args, r.stdout, tc.want)
		}
	}
	r := sweep(t, dir, "plot", "-o", "-")
	if r.code != exitUsage || !strings.Contains(oneErrorLine(t, r), "-o names a directory") {
		t.Errorf("plot -o -: %s", r)
	}
	if got := listDir(t, dir); strings.Join(got, " ") != "tiny.db" {
		t.Errorf("directory holds %v, want only tiny.db", got)
	}
}

// TestExportAnyStageName runs a sweep whose stage name holds quotes, a
// comma, a semicolon and non-ASCII letters (config refuses control
// characters), and reads its exports back with encoding/csv and
// encoding/json.
func TestExportAnyStageName(t *testing.T) {
	const name = "bell, \"del\"; ünï — code"
	dir := t.TempDir()
	cfg := strings.Replace(tinySweep, "- name: coarse", `- name: "bell, \"del\"; ünï — code"`, 1)
	writeFile(t, filepath.Join(dir, "tiny.yaml"), []byte(cfg))
	mustSweep(t, dir, "run", "tiny.yaml")

	jsonl := mustSweep(t, dir, "export", "histories", "--format", "jsonl").stdout
	lines := strings.Split(strings.TrimSuffix(jsonl, "\n"), "\n")
	for _, line := range lines {
		var rec struct{ Stage string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("encoding/json rejects %q: %v", line, err)
		}
		if rec.Stage != name {
			t.Fatalf("stage reads back as %q, want %q", rec.Stage, name)
		}
	}
	for _, args := range [][]string{{"export", "histories"}, {"report", "--format", "csv"}} {
		recs, err := csv.NewReader(strings.NewReader(mustSweep(t, dir, args...).stdout)).ReadAll()
		if err != nil {
			t.Fatalf("sweep %q: encoding/csv rejects it: %v", args, err)
		}
		col := slices.Index(recs[0], "stage")
		if len(recs) < 2 || col < 0 {
			t.Fatalf("sweep %q: %d records, header %q", args, len(recs), recs[0])
		}
		for _, rec := range recs[1:] {
			if rec[col] != name {
				t.Errorf("sweep %q: stage reads back as %q, want %q", args, rec[col], name)
			}
		}
	}
	var rows []struct{ Stage string }
	if err := json.Unmarshal([]byte(mustSweep(t, dir, "report", "--format", "json").stdout), &rows); err != nil || len(rows) == 0 || rows[0].Stage != name {
		t.Errorf("report --format json: %v, rows %+v", err, rows)
	}
}

// TestTrialPrefixSameEverywhere: show, plot and export weights resolve a
// trial prefix alike and say the same when it matches no trial or several
// (listing them). Seventeen trials make two ids share a first hex digit.
func TestTrialPrefixSameEverywhere(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tiny.yaml"), []byte(strings.Replace(tinySweep, "trials: 3", "trials: 17", 1)))
	mustSweep(t, dir, "run", "tiny.yaml")
	ids := map[byte][]string{}
	for _, line := range strings.Split(mustSweep(t, dir, "report", "--format", "csv").stdout, "\n")[1:] {
		if f := strings.Split(line, ","); len(f) > 1 {
			ids[f[1][0]] = append(ids[f[1][0]], f[1])
		}
	}
	var prefix string
	var same []string
	for c, s := range ids {
		if len(s) > 1 {
			prefix, same = string(c), s
			break
		}
	}
	if prefix == "" {
		t.Fatalf("17 trials, no two ids share a first character: %v", ids)
	}
	commands := [][]string{{"show"}, {"plot"}, {"export", "weights"}}
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{prefix, append([]string{fmt.Sprintf("trial id %q is ambiguous, it starts %d ids: ", prefix, len(same))}, same...)},
		{"zzzz", []string{`no trial "zzzz" in tiny.db`}},
	} {
		for _, command := range commands {
			args := append(append([]string{}, command...), tc.prefix)
			if command[0] == "export" {
				args = append(args, "-o", "w.npz")
			}
			r := sweep(t, dir, args...)
			line := oneErrorLine(t, r)
			for _, want := range tc.want {
				if r.code != exitFailure || !strings.Contains(line, want) {
					t.Errorf("sweep %q: exit %d %q; want exit %d and %q", args, r.code, line, exitFailure, want)
				}
			}
		}
	}
}
