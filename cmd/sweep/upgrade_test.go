package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// The fixture is a database the release at commit 65b1d46 wrote (see its
// README), standing for the files users of an earlier release have.
const (
	fixtureDir      = "testdata/release-65b1d46"
	fixtureNumerics = 8 // the numerics version of that release
	fixtureTrial    = "ac631196"
)

// fixtureCopy puts the fixture database and its config into a new
// directory and returns that directory.
func fixtureCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"tiny.db", "tiny.yaml"} {
		b, err := os.ReadFile(filepath.Join(fixtureDir, name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, name), b)
	}
	return dir
}

// editMeta rewrites the database at path through bbolt, as another
// release would have left it: edit gets the meta bucket.
func editMeta(t *testing.T, path string, edit func(meta *bolt.Bucket) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { return edit(tx.Bucket([]byte("meta"))) }); err != nil {
		t.Fatal(err)
	}
}

// setNumerics records numerics n in the sweep record (0 removes it).
func setNumerics(t *testing.T, path string, n int) {
	t.Helper()
	editMeta(t, path, func(meta *bolt.Bucket) error {
		var sw map[string]json.RawMessage
		if err := json.Unmarshal(meta.Get([]byte("sweep")), &sw); err != nil {
			return err
		}
		delete(sw, "numerics")
		if n != 0 {
			sw["numerics"] = json.RawMessage(strconv.Itoa(n))
		}
		b, err := json.Marshal(sw)
		if err != nil {
			return err
		}
		return meta.Put([]byte("sweep"), b)
	})
}

func recordedNumerics(t *testing.T, path string) int {
	t.Helper()
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sw, err := db.Sweep()
	if err != nil {
		t.Fatal(err)
	}
	return sw.Numerics
}

// Every read command works on a database of the earlier release as it did
// there, and leaves the file byte for byte as it was.
func TestEarlierReleaseRead(t *testing.T) {
	dir := fixtureCopy(t)
	db := filepath.Join(dir, "tiny.db")
	before := sha(t, db)
	for _, c := range []struct {
		golden string
		args   []string
	}{
		{"report.txt", []string{"report"}},
		{"report.json", []string{"report", "--format", "json"}},
		{"report.csv", []string{"report", "--format", "csv"}},
		{"show.txt", []string{"show", fixtureTrial}},
		{"histories.csv", []string{"export", "histories", "--format", "csv"}},
		{"histories.jsonl", []string{"export", "histories", "--format", "jsonl"}},
	} {
		r := mustSweep(t, dir, append(c.args, "--db", "tiny.db")...)
		golden(t, filepath.Join(filepath.Base(fixtureDir), c.golden), []byte(r.stdout))
	}
	mustSweep(t, dir, "export", "weights", fixtureTrial, "--db", "tiny.db", "-o", "w.npz")
	mustSweep(t, dir, "plot", "--db", "tiny.db", "--format", "svg", "-o", "plots")
	// What that release drew: the two sweep plots and one per trial.
	want := []string{"accuracy-vs-lambda.svg", "top-curves.svg", "trial-1476ac85.svg", "trial-ac631196.svg", "trial-d429e4df.svg"}
	got := listDir(t, filepath.Join(dir, "plots"))
	if !slices.Equal(got, want) {
		t.Errorf("plot drew %v, want %v", got, want)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "plots", "accuracy-vs-lambda.svg"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join(filepath.Base(fixtureDir), "accuracy-vs-lambda.svg"), svg)
	for _, name := range got {
		b, err := os.ReadFile(filepath.Join(dir, "plots", name))
		if err != nil || !strings.Contains(string(b), "<svg") {
			t.Errorf("plots/%s is not an SVG image (%v)", name, err)
		}
	}
	if after := sha(t, db); after != before {
		t.Error("read commands changed the database of the earlier release")
	}
	if n := recordedNumerics(t, db); n != 0 {
		t.Errorf("a read command recorded numerics %d", n)
	}
}

// refusesVersion checks that r is the one-line refusal of a database of
// other numerics or schema, naming what differs and what to do.
func refusesVersion(t *testing.T, r result, names ...string) {
	t.Helper()
	if r.code != exitFailure {
		t.Errorf("exit %d, want %d", r.code, exitFailure)
	}
	line := oneErrorLine(t, r)
	t.Log(line)
	for _, s := range append([]string{"version", "release that wrote it"}, names...) {
		if !strings.Contains(line, s) {
			t.Errorf("error %q does not say %q", line, s)
		}
	}
	if strings.Contains(line, "changed") {
		t.Errorf("error %q blames a change of settings", line)
	}
}

// continues checks that a command went on with the database at dir/db
// without training any of its trials again: run and resume record the
// numerics; --plan, which only reads, leaves the file as it was (before).
func continues(t *testing.T, name string, r result, dir, db, histories, before string) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%s of a database of this numerics: %s", name, r)
	}
	if strings.Contains(r.stderr, "started") {
		t.Errorf("a trial was trained again:\n%s", r.stderr)
	}
	if got := mustSweep(t, dir, "export", "histories", "--db", db).stdout; got != histories {
		t.Error("the histories changed")
	}
	path := filepath.Join(dir, db)
	if name == "plan" {
		if !strings.Contains(r.stdout, "done") || sha(t, path) != before {
			t.Errorf("--plan should list the stored trials as done and change nothing:\n%s", r)
		}
		return
	}
	if n := recordedNumerics(t, path); n != train.AlgorithmVersion {
		t.Errorf("numerics recorded %d after continuing, want %d", n, train.AlgorithmVersion)
	}
}

// run and resume (and run --plan) continue a database of the earlier
// release exactly when its numerics are this binary's, and otherwise
// refuse, changing nothing.
// The fixture's numerics are whatever that release computed; both branches
// are tested on copies edited to hold other numerics.
func TestEarlierReleaseRunResume(t *testing.T) {
	histories, err := os.ReadFile(filepath.Join(fixtureDir, "histories.csv"))
	if err != nil {
		t.Fatal(err)
	}
	commands := map[string][]string{
		"run":    {"run", "tiny.yaml", "--db", "tiny.db"},
		"resume": {"resume", "--db", "tiny.db"},
		"plan":   {"run", "tiny.yaml", "--db", "tiny.db", "--plan"},
	}
	for _, name := range []string{"run", "resume", "plan"} {
		t.Run(name+"/as written", func(t *testing.T) {
			dir := fixtureCopy(t)
			db := filepath.Join(dir, "tiny.db")
			before := sha(t, db)
			r := sweep(t, dir, commands[name]...)
			if fixtureNumerics == train.AlgorithmVersion {
				continues(t, name, r, dir, "tiny.db", string(histories), before)
				return
			}
			refusesVersion(t, r, "numerics", "version "+strconv.Itoa(fixtureNumerics), "new --db")
			if sha(t, db) != before {
				t.Errorf("the refused %s changed the database", name)
			}
		})
		t.Run(name+"/other numerics recorded", func(t *testing.T) {
			dir := fixtureCopy(t)
			db := filepath.Join(dir, "tiny.db")
			setNumerics(t, db, train.AlgorithmVersion+1)
			before := sha(t, db)
			r := sweep(t, dir, commands[name]...)
			refusesVersion(t, r, "numerics", "version "+strconv.Itoa(train.AlgorithmVersion+1), "new --db")
			if sha(t, db) != before {
				t.Errorf("the refused %s changed the database", name)
			}
		})
		t.Run(name+"/this numerics, not recorded", func(t *testing.T) {
			// A database of this binary's numerics as an earlier release
			// writes it: without the record.
			dir := t.TempDir()
			db := copyTinyDB(t, dir, "tiny.db")
			writeFile(t, filepath.Join(dir, "tiny.yaml"), []byte(tinySweep))
			setNumerics(t, db, 0)
			hist := mustSweep(t, dir, "export", "histories", "--db", "tiny.db").stdout
			before := sha(t, db)
			continues(t, name, sweep(t, dir, commands[name]...), dir, "tiny.db", hist, before)
		})
	}
}

// A database of a newer schema than this binary knows is refused by every
// command that opens it, and left as it was.
func TestNewerSchemaRefusedByEveryCommand(t *testing.T) {
	dir := fixtureCopy(t)
	db := filepath.Join(dir, "tiny.db")
	editMeta(t, db, func(meta *bolt.Bucket) error {
		return meta.Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, store.SchemaVersion+1))
	})
	before := sha(t, db)
	files := listDir(t, dir)
	for _, args := range [][]string{
		{"report"}, {"report", "--format", "html", "-o", "r.html"}, {"show", fixtureTrial},
		{"export", "histories"}, {"export", "weights", fixtureTrial, "-o", "w.npz"},
		{"plot", "-o", "plots"}, {"status"},
		{"resume"}, {"run", "tiny.yaml"}, {"run", "tiny.yaml", "--plan"},
	} {
		r := sweep(t, dir, append(args, "--db", "tiny.db")...)
		refusesVersion(t, r, "schema version "+strconv.Itoa(store.SchemaVersion+1))
		if sha(t, db) != before {
			t.Fatalf("sweep %s changed the database", strings.Join(args, " "))
		}
		if got := listDir(t, dir); !slices.Equal(got, files) {
			t.Fatalf("sweep %s left files %v, want only %v", strings.Join(args, " "), got, files)
		}
	}
}
