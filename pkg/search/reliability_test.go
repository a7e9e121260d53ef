package search

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/sweep-ml/sweep/internal/storefault"
	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
)

// faultRun runs cfg into the database at path, whose write transactions
// go through fail (if not nil) before they commit, and returns Run's error.
// Setup failures are fatal.
func faultRun(t *testing.T, cfg config.Config, path string, opts RunOptions, fail storefault.Hook) error {
	t.Helper()
	r, err := NewRunner(t.Context(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if fail != nil {
		defer storefault.Set(path, fail)()
	}
	db, err := store.Open(path, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := r.Prepare(db); err != nil {
		t.Fatal(err)
	}
	return r.Run(t.Context(), db)
}

// failNth fails the nth write transaction named op, and only that one.
func failNth(op string, n int, cause error) func(string) error {
	var mu sync.Mutex
	seen := 0
	return func(got string) error {
		mu.Lock()
		defer mu.Unlock()
		if got != op {
			return nil
		}
		if seen++; seen == n {
			return cause
		}
		return nil
	}
}

// checkInterrupted checks a database a store error stopped: every done
// trial is bit-identical to the reference, the others are pending or
// running (never done without results), and only unfinished trials have
// checkpoints. It returns the statuses by trial.
func checkInterrupted(t *testing.T, path string, want map[string]outcome) map[string]store.Status {
	t.Helper()
	got := outcomes(t, path) // reads weights of every done trial: fails if absent
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	statuses := map[string]store.Status{}
	for id, g := range got {
		statuses[id] = g.status
		_, ckErr := db.Checkpoint(id)
		switch g.status {
		case store.Done:
			sameOutcomes(t, "done before the fault", map[string]outcome{id: g}, map[string]outcome{id: want[id]})
			if !errors.Is(ckErr, store.ErrNotFound) {
				t.Errorf("done trial %s kept its checkpoint (%v)", id, ckErr)
			}
		case store.Pending, store.Running:
		default:
			t.Errorf("trial %s is %s after a store fault", id, g.status)
		}
	}
	return statuses
}

// A write that fails while a trial is stored (a full disk, an I/O error)
// stops the sweep with one error naming the operation and the trial; the
// database keeps every finished trial, the failing one is not finished, and
// the next run resumes it and ends bit-identical to an uninterrupted run.
func TestStoreWriteFault(t *testing.T) {
	want := referenceRun(t)
	diskFull := fmt.Errorf("write /db: %w", syscall.ENOSPC)
	for _, tc := range []struct {
		op string
		n  int
	}{
		{"finish_trial", 1}, // before any trial is done
		{"finish_trial", 3}, // with two done
		{"save_checkpoint", 1},
		{"save_checkpoint", 20}, // after the first trials finished
	} {
		t.Run(fmt.Sprintf("%s#%d", tc.op, tc.n), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f.db")
			obs := &startCounter{started: map[string]int{}}
			err := faultRun(t, parseConfig(t, tinySweep), path, RunOptions{Workers: 2, Observer: obs, CheckpointEvery: 7}, failNth(tc.op, tc.n, diskFull))
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Run returned %v, want the disk-full error", err)
			}
			msg := err.Error()
			if strings.Count(msg, tc.op) != 1 || strings.Count(msg, "no space left on device") != 1 || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming %s and the cause once", msg, tc.op)
			}
			statuses := checkInterrupted(t, path, want)
			var failing string
			for id := range statuses {
				if strings.Contains(msg, id) {
					failing = id
				}
			}
			if failing == "" {
				t.Errorf("error %q names no trial", msg)
			} else if s := statuses[failing]; s.Final() {
				t.Errorf("trial %s is %s although storing it failed", failing, s)
			}
			if tc.op == "finish_trial" {
				// Its last checkpoint survives the failed finish.
				db, err := store.Open(path, store.Options{ReadOnly: true})
				if err != nil {
					t.Fatal(err)
				}
				_, ckErr := db.Checkpoint(failing)
				db.Close()
				if ckErr != nil {
					t.Errorf("trial %s lost its checkpoint: %v", failing, ckErr)
				}
			}
			second := &startCounter{started: map[string]int{}}
			if err := faultRun(t, parseConfig(t, tinySweep), path, RunOptions{Workers: 2, Observer: second, CheckpointEvery: 7}, nil); err != nil {
				t.Fatal(err)
			}
			for id, s := range statuses {
				if s == store.Done && second.started[id] > 0 {
					t.Errorf("trial %s was done before the fault and trained again", id)
				}
			}
			if tc.op == "finish_trial" && second.resumed == 0 {
				t.Error("the trial whose finish failed did not resume from its checkpoint")
			}
			sameOutcomes(t, "after the fault", outcomes(t, path), want)
		})
	}
}

// A real full disk: a tmpfs too small for the sweep. The same guarantees
// hold, and once there is room again the sweep completes exactly.
func TestDiskFull(t *testing.T) {
	want := referenceRun(t)
	mnt := t.TempDir()
	// About a third of what the sweep needs (measured: ~1.6 MB of pages).
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v: %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
		}
	})
	path := filepath.Join(mnt, "full.db")
	err := faultRun(t, parseConfig(t, tinySweep), path, RunOptions{Workers: 2, CheckpointEvery: 7}, nil)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Run on a full disk returned %v, want ENOSPC", err)
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.HasPrefix(msg, "search: trial ") {
		t.Errorf("error %q should name the trial and the database", msg)
	}
	statuses := checkInterrupted(t, path, want)
	t.Logf("disk full: %v; trials %v", err, statuses)
	if out, err := exec.Command("mount", "-o", "remount,size=16m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v: %s", err, out)
	}
	if err := faultRun(t, parseConfig(t, tinySweep), path, RunOptions{Workers: 2, CheckpointEvery: 7}, nil); err != nil {
		t.Fatal(err)
	}
	sameOutcomes(t, "after the disk was full", outcomes(t, path), want)
}

// writeIDX writes a small IDX data set (4x4 pixels, 10 classes) into dir.
func writeIDX(t *testing.T, dir string) {
	t.Helper()
	write := func(name string, magic uint32, dims []uint32, payload []byte) {
		var b []byte
		b = binary.BigEndian.AppendUint32(b, magic)
		for _, d := range dims {
			b = binary.BigEndian.AppendUint32(b, d)
		}
		if err := os.WriteFile(filepath.Join(dir, name), append(b, payload...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, split := range []struct {
		prefix string
		n      int
	}{{"train", 400}, {"t10k", 100}} {
		pixels := make([]byte, split.n*16)
		labels := make([]byte, split.n)
		for i := range split.n {
			labels[i] = byte(i % 10)
			for j := range 16 {
				// Class-dependent pattern plus a little variation, so training means something.
				pixels[i*16+j] = byte((int(labels[i])*23 + j*11 + i*7) % 256)
			}
		}
		write(split.prefix+"-images-idx3-ubyte", 0x00000803, []uint32{uint32(split.n), 4, 4}, pixels)
		write(split.prefix+"-labels-idx1-ubyte", 0x00000801, []uint32{uint32(split.n)}, labels)
	}
}

// A data file that changed since the sweep started is refused before
// anything is written: the error names the file and the database is left
// byte for byte as it was.
func TestDataChangedRefused(t *testing.T) {
	dir := t.TempDir()
	writeIDX(t, dir)
	src := fmt.Sprintf(`
name: idx
data: {source: idx, dir: %q, validation: {holdout: 100}}
model: {hidden: 8}
training: {batch_size: 50, step_size: 4, cycles: 1, records_per_cycle: 2}
search:
  stages:
    - name: s
      sampler: grid
      trials: 2
      space:
        lambda: {log10: [-3, -1]}
`, dir)
	path := filepath.Join(t.TempDir(), "idx.db")
	if err := sweepRun(t.Context(), t, parseConfig(t, src), path, RunOptions{Workers: 1}, nil); err != nil {
		t.Fatal(err)
	}
	changed := filepath.Join(dir, "t10k-images-idx3-ubyte")
	b, err := os.ReadFile(changed)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1 // one test pixel
	if err := os.WriteFile(changed, b, 0o644); err != nil {
		t.Fatal(err)
	}
	want := outcomes(t, path)
	// As `sweep run` does it: load the data, open the database, prepare.
	r, err := NewRunner(t.Context(), parseConfig(t, src), RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Prepare(db)
	db.Close()
	if !errors.Is(err, ErrDataChanged) {
		t.Fatalf("Prepare with a changed file returned %v, want ErrDataChanged", err)
	}
	if msg := err.Error(); !strings.Contains(msg, changed) || strings.Contains(msg, "train-images") || strings.Contains(msg, "labels") {
		t.Errorf("error %q should name %s and only it", msg, changed)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("the refused run wrote to the database")
	}
	sameOutcomes(t, "after the refusal", outcomes(t, path), want)
}

// Hyperparameters at the edges end every trial as done or diverged; none
// fails and the sweep completes.
func TestExtremeHyperparameters(t *testing.T) {
	src := strings.Replace(tinySweep, "lambda: {log10: [-4, -1]}",
		"eta_max: {choice: [0.05, 10, 1000000]}\n        lambda: {choice: [0, 10]}", 1)
	path := filepath.Join(t.TempDir(), "x.db")
	if err := sweepRun(t.Context(), t, parseConfig(t, src), path, RunOptions{Workers: 2}, nil); err != nil {
		t.Fatalf("the sweep must complete: %v", err)
	}
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seen := map[[2]float64]store.Status{}
	err = db.ForEachTrial(func(tr store.Trial) error {
		key := [2]float64{tr.Params["eta_max"], tr.Params["lambda"]}
		seen[key] = tr.Status
		switch tr.Status {
		case store.Done:
			if tr.Final.TestAccuracy == nil || math.IsNaN(*tr.Final.ValCost) || math.IsInf(*tr.Final.ValCost, 0) {
				t.Errorf("done trial %v has final metrics %+v", key, tr.Final)
			}
			w, err := db.Weights(tr.ID)
			if err != nil {
				return err
			}
			for _, v := range w.W1 {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("done trial %v has non-finite weights", key)
					break
				}
			}
		case store.Diverged:
			// Its seconds count the training until it diverged.
			if tr.DivergedStep < 0 || tr.Error == "" || (tr.DivergedStep > 0 && tr.Seconds <= 0) {
				t.Errorf("diverged trial %v: step %d, error %q, %v seconds", key, tr.DivergedStep, tr.Error, tr.Seconds)
			}
		default:
			t.Errorf("trial %v is %s (%s), want done or diverged", key, tr.Status, tr.Error)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 6 {
		t.Fatalf("%d trials, want 6: %v", len(seen), seen)
	}
	if s := seen[[2]float64{1e6, 0}]; s != store.Diverged {
		t.Errorf("eta_max 1e6 without penalty is %s, want diverged", s)
	}
	if s := seen[[2]float64{0.05, 0}]; s != store.Done {
		t.Errorf("eta_max 0.05 without penalty is %s, want done", s)
	}
	t.Logf("outcomes: %v", seen)
}
