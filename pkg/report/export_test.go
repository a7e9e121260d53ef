package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"codeberg.org/sbinet/npyio/npz"

	"github.com/sweep-ml/sweep/pkg/store"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// dirNames lists dir, so a test sees any temporary file left behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestCreateFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	if err := CreateFile(path, false, writeString("one")); err != nil {
		t.Fatal(err)
	}
	err := CreateFile(path, false, writeString("two"))
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "--force") {
		t.Errorf("existing file without force: %v, want an error naming it and --force", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "one" {
		t.Errorf("refused write changed the file to %q", b)
	}
	if err := CreateFile(path, true, writeString("three")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "three" {
		t.Errorf("forced write left %q", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	// A failing writer leaves neither a half file nor a temporary one.
	boom := errors.New("boom")
	half := func(w io.Writer) error { io.WriteString(w, "half"); return boom }
	if err := CreateFile(path, true, half); !errors.Is(err, boom) {
		t.Errorf("failing writer: %v, want boom", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "three" {
		t.Errorf("failed write changed the file to %q", b)
	}
	fresh := filepath.Join(dir, "fresh.csv")
	if err := CreateFile(fresh, false, half); !errors.Is(err, boom) {
		t.Errorf("failing writer: %v, want boom", err)
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "out.csv" {
		t.Errorf("directory holds %v after failed writes, want only out.csv", names)
	}
}

func TestCreateFileRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "precious")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, target string }{{"to-file", target}, {"dangling", filepath.Join(dir, "nowhere")}} {
		link := filepath.Join(dir, tc.name)
		if err := os.Symlink(tc.target, link); err != nil {
			t.Skip("no symlinks here:", err)
		}
		for _, force := range []bool{false, true} {
			err := CreateFile(link, force, writeString("overwritten"))
			if err == nil || !strings.Contains(err.Error(), "symbolic link") {
				t.Errorf("%s, force=%v: %v, want a symbolic link error", tc.name, force, err)
			}
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s: link replaced or removed", tc.name)
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("target now holds %q", b)
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dangling link's target was created: %v", err)
	}
	if names := dirNames(t, dir); len(names) != 3 {
		t.Errorf("directory holds %v, want precious and the two links", names)
	}
}

func TestWriteHistories(t *testing.T) {
	db := fixedDB(t)
	var csvOut, jsonl bytes.Buffer
	if err := WriteHistories(t.Context(), &csvOut, db, "csv", ""); err != nil {
		t.Fatal(err)
	}
	if err := WriteHistories(t.Context(), &jsonl, db, "jsonl", ""); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(csvOut.String(), "\n"), "\n")
	// 7 trials with 3 records each; the failed trial has no history.
	if len(lines) != 1+7*3 {
		t.Fatalf("%d csv lines, want 22", len(lines))
	}
	want := "trial,stage,status,hidden,lambda,step,epoch,eta,train_cost,train_loss,train_accuracy,val_cost,val_loss,val_accuracy"
	if lines[0] != want {
		t.Errorf("header %q, want %q", lines[0], want)
	}
	// The diverged trial's last record: NaN and +Inf are empty cells.
	if want := "c3cccccccccccccccccccccc,coarse,diverged,,0.1,20,1,0.003,,0.8999999999999999,0.6,,1,0.5"; lines[9] != want {
		t.Errorf("diverged record %q, want %q", lines[9], want)
	}
	jl := strings.Split(strings.TrimSuffix(jsonl.String(), "\n"), "\n")
	if len(jl) != 7*3 {
		t.Fatalf("%d jsonl lines, want 21", len(jl))
	}
	var rec struct {
		Trial, Stage, Status string
		Params               map[string]float64
		Step                 int
		ValCost              *float64 `json:"val_cost"`
		TrainCost            *float64 `json:"train_cost"`
		ValAccuracy          float64  `json:"val_accuracy"`
	}
	if err := json.Unmarshal([]byte(jl[8]), &rec); err != nil {
		t.Fatalf("%s: %v", jl[8], err)
	}
	if rec.Trial != fixtures[2].id || rec.Step != 20 || rec.ValCost != nil || rec.TrainCost != nil || rec.ValAccuracy != 0.5 || rec.Params["lambda"] != 0.1 {
		t.Errorf("diverged record %s decodes as %+v", jl[8], rec)
	}
	// --stage lists the stage's trials under its name, reused ones included.
	var staged bytes.Buffer
	if err := WriteHistories(t.Context(), &staged, db, "csv", "final"); err != nil {
		t.Fatal(err)
	}
	if n, c2 := strings.Count(staged.String(), "\n"), strings.Count(staged.String(), fixtures[1].id+",final,done"); n != 1+2*3 || c2 != 3 {
		t.Errorf("stage final: %d lines, %d of the reused trial; want 7 and 3:\n%s", n, c2, staged.String())
	}
	if err := WriteHistories(t.Context(), io.Discard, db, "csv", "nope"); err == nil {
		t.Error("unknown stage: no error")
	}
}

func TestWriteWeights(t *testing.T) {
	db := fixedDB(t)
	tr, err := db.Trial(fixtures[7].id)
	if err != nil {
		t.Fatal(err)
	}
	w, err := db.Weights(tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteWeights(&b, tr, w); err != nil {
		t.Fatal(err)
	}
	r, err := npz.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Header("W1").Descr.Shape; len(got) != 2 || got[0] != 2 || got[1] != 4 {
		t.Errorf("W1 shape %v, want [2 4]", got)
	}
	if got := r.Header("W2").Descr.Shape; len(got) != 2 || got[0] != 3 || got[1] != 2 {
		t.Errorf("W2 shape %v, want [3 2]", got)
	}
	for name, want := range map[string][]float64{"W1": w.W1, "b1": w.B1, "W2": w.W2, "b2": w.B2, "mean": w.Mean, "std": w.Std} {
		var got []float64
		if err := r.Read(name, &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	for name, want := range map[string]float64{"param_lambda": 3e-4, "param_hidden": 100, "test_accuracy": 0.86} {
		var got float64
		if err := r.Read(name, &got); err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", name, got, err, want)
		}
	}
}

func TestFindTrial(t *testing.T) {
	db := fixedDB(t)
	for _, tc := range []struct{ id, want, err string }{
		{fixtures[0].id, fixtures[0].id, ""},
		{"c3", fixtures[2].id, ""},
		{"f1e", fixtures[4].id, ""},
		{"f1", "", `"f1" is ambiguous, it starts 2 ids: f1eeeeeeeeeeeeeeeeeeeeee, f1ffffffffffffffffffffff`},
		{"zz", "", `no trial "zz" in`},
		{"", "", "empty trial id"},
	} {
		got, err := FindTrial(t.Context(), db, tc.id)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("FindTrial(%q) = %v, want error containing %q", tc.id, err, tc.err)
			}
			continue
		}
		if err != nil || got.ID != tc.want {
			t.Errorf("FindTrial(%q) = %s, %v; want %s", tc.id, got.ID, err, tc.want)
		}
	}
}

func TestWriteTrial(t *testing.T) {
	db := fixedDB(t)
	for _, tc := range []struct {
		id   string
		want []string
	}{
		{fixtures[2].id, []string{"status     diverged", "lambda     1.00e-01", "seed       102 (seed index 0)",
			"stage      coarse: grid 4, lambda 10^[-5, -1]", "diverged   at step 40", "history (3 records)", "20   1.00  3.00e-03        +Inf"}},
		{fixtures[3].id, []string{"status     failed", "error      train: out of memory, retry", "val        -", "no history"}},
		{fixtures[1].id, []string{"reused in  final", "seconds    11.50 training, 12.00 wall", "test       accuracy 84.00%",
			"started    " + time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC).Format(time.RFC3339)}},
		{fixtures[4].id, []string{"stage      fine: random 2 x 2 seeds, lambda 10^[-4.25, -2.75] from top 3 of coarse"}},
	} {
		tr, err := db.Trial(tc.id)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WriteTrial(&b, db, tr); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("show %s lacks %q:\n%s", tc.id, w, b.String())
			}
		}
	}
}

// benchDBVersion names the cached benchmark database; change it when the
// database it builds changes.
const benchDBVersion = "v1"

// exportBenchDB returns a database of n small finished trials (d=4, m=2,
// K=3, 21 records each), built through the store API once and cached in
// os.TempDir: building takes minutes on a disk that honours fsync (run
// with TMPDIR=/dev/shm to build in memory).
func exportBenchDB(b *testing.B, n int) string {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("sweep-export-bench-%s-%d.db", benchDBVersion, n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := path + ".building"
	os.Remove(tmp)
	db, err := store.Open(tmp, store.Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := db.PutSweep(store.Sweep{Name: "bench"}); err != nil {
		b.Fatal(err)
	}
	hist := make([]store.Record, 21)
	for i := range hist {
		hist[i] = store.Record{Step: 10 * i, Epoch: 0.1 * float64(i), Eta: 1e-3, TrainCost: 1, TrainLoss: 0.9, TrainAccuracy: 0.5, ValCost: 1.1, ValLoss: 1, ValAccuracy: 0.45}
	}
	for i := range n {
		id := fmt.Sprintf("%024x", i)
		acc := 0.5 + float64(i%1000)/1e4
		tr := store.Trial{ID: id, Stage: "s", Index: i, Status: store.Done,
			Params: map[string]float64{"lambda": math.Pow(10, -5+4*float64(i%997)/997)},
			Final:  store.Metrics{ValAccuracy: &acc}}
		if err := db.FinishTrial(tr, hist, tinyWeights(i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkExportHistories streams the histories of 100,000 trials (2.1
// million records) as CSV. It reports the bytes allocated per trial and the
// peak heap in use, sampled every millisecond: both stay flat as the number
// of trials grows, since nothing per trial is kept.
func BenchmarkExportHistories(b *testing.B) {
	const n = 100_000
	path := exportBenchDB(b, n)
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var out countWriter
	for b.Loop() {
		out = 0
		if err := WriteHistories(b.Context(), &out, db, "csv", ""); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	close(stop)
	<-done
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/n, "B/trial")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(out)/(1<<20), "output-MiB")
}

// countWriter counts bytes and discards them.
type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// awkwardNames are stage names a config may hold: any text is allowed,
// control characters included, and the exports must read back with a
// standard CSV or JSON parser.
var awkwardNames = []string{
	"bell\a and del\x7f",
	"nul\x00, tab\t, esc\x1b",
	`comma, "quoted" and 'single'`,
	"two\nlines\rand a carriage return",
	" leading and trailing space ",
	"<html> & üñï©ødé",
	"not utf-8: \xff\xfe",
}

// awkwardDB is one done trial with a history in a stage per awkward name.
func awkwardDB(t *testing.T) *store.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "awkward.db")
	db, err := store.Open(path, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutSweep(store.Sweep{Name: "awkward"}); err != nil {
		t.Fatal(err)
	}
	for i, name := range awkwardNames {
		id := fmt.Sprintf("%024x", i)
		if err := db.PutStage(store.Stage{Name: name, Index: i, Spec: []byte(`{}`), Derived: []byte(`{}`), TrialIDs: []string{id}}); err != nil {
			t.Fatal(err)
		}
		acc := 0.5
		tr := store.Trial{ID: id, Stage: name, Index: 0, Status: store.Done, Params: map[string]float64{"lambda": 1e-3},
			Error: name, Final: store.Metrics{ValAccuracy: &acc}}
		hist := []store.Record{{Step: 10, Epoch: 1, Eta: 1e-3, TrainCost: 1, TrainLoss: 1, TrainAccuracy: 0.5, ValCost: 1, ValLoss: 1, ValAccuracy: 0.5}}
		if err := db.FinishTrial(tr, hist, tinyWeights(i)); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func TestExportsReadBackAnyStageName(t *testing.T) {
	db := awkwardDB(t)
	// What the store gives back is what every export must preserve (the
	// store keeps trials as JSON, so invalid UTF-8 is U+FFFD there already).
	stageOf := map[string]string{}
	for i := range awkwardNames {
		tr, err := db.Trial(fmt.Sprintf("%024x", i))
		if err != nil {
			t.Fatal(err)
		}
		stageOf[tr.ID] = tr.Stage
	}

	t.Run("histories csv", func(t *testing.T) {
		var b bytes.Buffer
		if err := WriteHistories(t.Context(), &b, db, "csv", ""); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatalf("encoding/csv rejects the export: %v", err)
		}
		if len(recs) != 1+len(awkwardNames) {
			t.Fatalf("%d csv records, want %d", len(recs), 1+len(awkwardNames))
		}
		for _, rec := range recs[1:] {
			if rec[1] != stageOf[rec[0]] {
				t.Errorf("trial %s: stage reads back as %q, want %q", rec[0], rec[1], stageOf[rec[0]])
			}
		}
	})
	t.Run("histories jsonl", func(t *testing.T) {
		var b bytes.Buffer
		if err := WriteHistories(t.Context(), &b, db, "jsonl", ""); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if len(lines) != len(awkwardNames) {
			t.Fatalf("%d jsonl lines, want %d:\n%s", len(lines), len(awkwardNames), b.String())
		}
		for _, line := range lines {
			var rec struct{ Trial, Stage string }
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("encoding/json rejects %s: %v", line, err)
			}
			if want := stageOf[rec.Trial]; rec.Stage != want {
				t.Errorf("trial %s: stage reads back as %q, want %q", rec.Trial, rec.Stage, want)
			}
		}
	})
	t.Run("report csv", func(t *testing.T) {
		rows, err := Rank(t.Context(), db, Selection{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WriteCSV(&b, rows); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatalf("encoding/csv rejects the report: %v", err)
		}
		if len(recs) != 1+len(awkwardNames) {
			t.Fatalf("%d csv records, want %d", len(recs), 1+len(awkwardNames))
		}
		col := func(name string) int { return slices.Index(recs[0], name) }
		for _, rec := range recs[1:] {
			id, want := rec[col("id")], stageOf[rec[col("id")]]
			if rec[col("stage")] != want || rec[col("trained_in")] != want || rec[col("error")] != want {
				t.Errorf("trial %s: stage %q, trained_in %q, error %q; want %q", id, rec[col("stage")], rec[col("trained_in")], rec[col("error")], want)
			}
		}
	})
	t.Run("report json", func(t *testing.T) {
		rows, err := Rank(t.Context(), db, Selection{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WriteJSON(&b, rows); err != nil {
			t.Fatal(err)
		}
		var got []struct{ ID, Stage string }
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatalf("encoding/json rejects the report: %v", err)
		}
		for _, r := range got {
			if want := stageOf[r.ID]; r.Stage != want {
				t.Errorf("trial %s: stage %q, want %q", r.ID, r.Stage, want)
			}
		}
	})
}

// TestMarkdownKeepsOneRowPerTrial: a line break in a stage name or an
// error would end the table row early.
func TestMarkdownKeepsOneRowPerTrial(t *testing.T) {
	db := awkwardDB(t)
	rows, err := Rank(t.Context(), db, Selection{})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Summarize(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, sum, rows); err != nil {
		t.Fatal(err)
	}
	var table []string
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, "| ") {
			table = append(table, line)
		}
	}
	if len(table) != 2+len(awkwardNames) {
		t.Errorf("%d table lines, want a header, a rule and %d rows:\n%s", len(table), len(awkwardNames), b.String())
	}
	for _, line := range table {
		if !strings.HasSuffix(line, " |") {
			t.Errorf("row does not end its table cells: %q", line)
		}
	}
}
