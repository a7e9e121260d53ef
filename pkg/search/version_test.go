package search

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// The numerics of a database that does not record them are read back from
// its trial ids, so the id must hash exactly the stored settings.
func TestTrialIDForStoredSettings(t *testing.T) {
	epochs := train.DefaultConfig()
	epochs.StepSize = train.StepSize{Epochs: 2}
	updates := train.DefaultConfig()
	updates.StepSize, updates.Lambda, updates.Precision = train.StepSize{Updates: 37}, 1.2345678e-7, train.Float64
	for i, tc := range []train.Config{train.DefaultConfig(), epochs, updates} {
		stored, err := config.EncodeSettings(tc)
		if err != nil {
			t.Fatal(err)
		}
		want, err := TrialID(tc, "fp")
		if err != nil {
			t.Fatal(err)
		}
		if got := trialIDFor(train.AlgorithmVersion, "fp", stored); got != want {
			t.Errorf("config %d: id from stored settings %s, TrialID %s", i, got, want)
		}
		if trialIDFor(train.AlgorithmVersion-1, "fp", stored) == want {
			t.Errorf("config %d: the id does not depend on the numerics version", i)
		}
	}
}

// editSweep rewrites the sweep record of the database at path through
// bbolt, as a file of another release would hold it.
func editSweep(t *testing.T, path string, edit func(sw map[string]json.RawMessage)) {
	t.Helper()
	editDB(t, path, func(tx *bolt.Tx) error {
		return editJSON(tx.Bucket([]byte("meta")), []byte("sweep"), edit)
	})
}

func editDB(t *testing.T, path string, edit func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(edit); err != nil {
		t.Fatal(err)
	}
}

// editJSON rewrites the JSON object stored under key in b.
func editJSON(b *bolt.Bucket, key []byte, edit func(map[string]json.RawMessage)) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b.Get(key), &m); err != nil {
		return err
	}
	edit(m)
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return b.Put(key, v)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func storedSweep(t *testing.T, path string) store.Sweep {
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
	return sw
}

// A database continues when its trials were computed by this numerics
// version, recorded or read from its trial ids, and trains nothing again;
// with other numerics, or ids of another encoding, Prepare refuses in one
// line naming what differs, before anything is written.
func TestVersionCheck(t *testing.T) {
	want := referenceRun(t)
	if n := storedSweep(t, reference.path).Numerics; n != train.AlgorithmVersion {
		t.Fatalf("a new sweep records numerics %d, want %d", n, train.AlgorithmVersion)
	}
	cur := strconv.Itoa(train.AlgorithmVersion)
	for _, c := range []struct {
		name string
		edit func(sw map[string]json.RawMessage)
		// refusal holds what the error names; "" when the run continues.
		refusal []string
	}{
		{"recorded, this version", nil, nil},
		{"not recorded, ids of this version", func(sw map[string]json.RawMessage) { delete(sw, "numerics") }, nil},
		{"recorded, a newer version", func(sw map[string]json.RawMessage) {
			sw["numerics"] = json.RawMessage(strconv.Itoa(train.AlgorithmVersion + 1))
		}, []string{"numerics version", "version " + strconv.Itoa(train.AlgorithmVersion+1), "version " + cur, "release that wrote it", "new --db"}},
		{"recorded, an older version", func(sw map[string]json.RawMessage) {
			sw["numerics"] = json.RawMessage(strconv.Itoa(train.AlgorithmVersion - 1))
		}, []string{"numerics version", "version " + strconv.Itoa(train.AlgorithmVersion-1), "version " + cur}},
		{"not recorded, ids of the previous version", func(sw map[string]json.RawMessage) { delete(sw, "numerics") },
			[]string{"numerics version", "version " + strconv.Itoa(train.AlgorithmVersion-1), "version " + cur}},
		{"not recorded, ids of another encoding", func(sw map[string]json.RawMessage) { delete(sw, "numerics") },
			[]string{"trial encoding version", "4 trials", "new --db"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "v.db")
			copyFile(t, reference.path, path)
			if c.edit != nil {
				editSweep(t, path, c.edit)
			}
			if strings.Contains(c.name, "ids of the previous version") {
				// What the previous release wrote: the same settings, every
				// id hashed with its numerics version.
				editDB(t, path, func(tx *bolt.Tx) error {
					return renumber(tx, func(sw store.Sweep, tr store.Trial) string {
						return trialIDFor(train.AlgorithmVersion-1, sw.DataFingerprint, tr.Config)
					})
				})
			}
			if strings.Contains(c.name, "encoding") {
				// Ids hashed in some other way than this release's.
				editDB(t, path, func(tx *bolt.Tx) error {
					return renumber(tx, func(_ store.Sweep, tr store.Trial) string {
						return trialIDFor(train.AlgorithmVersion, "another encoding", tr.Config)
					})
				})
			}
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			obs := &startCounter{started: map[string]int{}}
			r, err := NewRunner(t.Context(), parseConfig(t, tinySweep), RunOptions{Workers: 1, Observer: obs})
			if err != nil {
				t.Fatal(err)
			}
			db, err := store.Open(path, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			_, planErr := r.Plan(db) // --plan: what run would do
			db.Close()
			if (planErr == nil) != (c.refusal == nil) || planErr != nil && !errors.Is(planErr, ErrVersion) {
				t.Errorf("Plan: %v", planErr)
			}
			db, err = store.Open(path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = r.Prepare(db)
			if err == nil {
				err = r.Run(t.Context(), db)
			}
			db.Close()
			if c.refusal == nil {
				if err != nil {
					t.Fatal(err)
				}
				if len(obs.started) > 0 {
					t.Errorf("trained %d trials again", len(obs.started))
				}
				sameOutcomes(t, "continued", outcomes(t, path), want)
				if n := storedSweep(t, path).Numerics; n != train.AlgorithmVersion {
					t.Errorf("after continuing, numerics recorded %d, want %d", n, train.AlgorithmVersion)
				}
				return
			}
			if !errors.Is(err, ErrVersion) {
				t.Fatalf("err = %v, want ErrVersion", err)
			}
			msg := err.Error()
			for _, s := range append(c.refusal, path) {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not name %q", msg, s)
				}
			}
			if strings.Contains(msg, "\n") || errors.Is(err, ErrStageChanged) {
				t.Errorf("error %q: want one line, not a stage change", msg)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("the refused run changed the database")
			}
		})
	}
}

// renumber rewrites every trial of a sweep database under the id idOf
// gives it: its metadata, history, weights and checkpoint, and the stage
// lists naming it.
func renumber(tx *bolt.Tx, idOf func(store.Sweep, store.Trial) string) error {
	var sw store.Sweep
	if err := json.Unmarshal(tx.Bucket([]byte("meta")).Get([]byte("sweep")), &sw); err != nil {
		return err
	}
	trials := tx.Bucket([]byte("trials"))
	newID := map[string]string{}
	err := trials.ForEach(func(k, v []byte) error {
		var tr store.Trial
		if err := json.Unmarshal(v, &tr); err != nil {
			return err
		}
		newID[string(k)] = idOf(sw, tr)
		return nil
	})
	if err != nil {
		return err
	}
	for old, id := range newID {
		if err := editJSON(trials, []byte(old), func(tr map[string]json.RawMessage) {
			tr["id"] = json.RawMessage(strconv.Quote(id))
		}); err != nil {
			return err
		}
		for _, name := range []string{"trials", "weights", "checkpoints"} {
			b := tx.Bucket([]byte(name))
			if val := b.Get([]byte(old)); val != nil {
				val = bytes.Clone(val)
				if err := b.Delete([]byte(old)); err != nil {
					return err
				}
				if err := b.Put([]byte(id), val); err != nil {
					return err
				}
			}
		}
		hist := tx.Bucket([]byte("history"))
		if hb := hist.Bucket([]byte(old)); hb != nil {
			nb, err := hist.CreateBucket([]byte(id))
			if err != nil {
				return err
			}
			if err := hb.ForEach(func(k, val []byte) error { return nb.Put(bytes.Clone(k), bytes.Clone(val)) }); err != nil {
				return err
			}
			if err := hist.DeleteBucket([]byte(old)); err != nil {
				return err
			}
		}
	}
	stages := tx.Bucket([]byte("stages"))
	return stages.ForEachBucket(func(k []byte) error {
		list := stages.Bucket(k).Bucket([]byte("trials"))
		type entry struct{ k, v []byte }
		var entries []entry
		list.ForEach(func(pos, val []byte) error {
			entries = append(entries, entry{bytes.Clone(pos), append([]byte{val[0]}, newID[string(val[1:])]...)})
			return nil
		})
		for _, e := range entries {
			if err := list.Put(e.k, e.v); err != nil {
				return err
			}
		}
		return nil
	})
}

// A sweep record written before the numerics were recorded, with no trial
// yet, says nothing of them: the run trains as usual and records them.
func TestVersionOfASweepWithoutTrials(t *testing.T) {
	want := referenceRun(t)
	path := filepath.Join(t.TempDir(), "empty.db")
	r, err := NewRunner(t.Context(), parseConfig(t, tinySweep), RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rec, err := r.SweepRecord()
	if err != nil {
		t.Fatal(err)
	}
	rec.Numerics = 0
	if err := db.PutSweep(rec); err != nil {
		t.Fatal(err)
	}
	if err := r.Prepare(db); err != nil {
		t.Fatal(err)
	}
	if err := r.Run(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	db.Close()
	sameOutcomes(t, "after the run", outcomes(t, path), want)
	if n := storedSweep(t, path).Numerics; n != train.AlgorithmVersion {
		t.Errorf("numerics recorded %d, want %d", n, train.AlgorithmVersion)
	}
}
