package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// PutSweep stores the sweep description, replacing any previous one.
func (db *DB) PutSweep(s Sweep) error {
	v, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("store: encode sweep: %w", err)
	}
	return db.update("put_sweep", func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketMeta).Put(keySweep, v); err != nil {
			return fmt.Errorf("store: put sweep: %w", err)
		}
		return nil
	})
}

// Sweep returns the stored sweep description, or ErrNotFound before PutSweep.
func (db *DB) Sweep() (Sweep, error) {
	var s Sweep
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(keySweep)
		if v == nil {
			return kindErrorf(ErrNotFound, nil, "%s holds no sweep description", db.path)
		}
		if err := json.Unmarshal(v, &s); err != nil {
			return kindErrorf(ErrCorrupt, err, "decode sweep: %v", err)
		}
		return nil
	})
	return s, err
}

// stageInfo is a stage without its trial list.
type stageInfo struct {
	Name    string          `json:"name"`
	Index   int             `json:"index"`
	Spec    json.RawMessage `json:"spec,omitempty"`
	Derived json.RawMessage `json:"derived,omitempty"`
}

var (
	keyInfo   = []byte("info")
	keyTrials = []byte("trials")
)

// PutStage stores st at st.Index, replacing that stage's metadata and trial
// list entirely. Stage names must be unique. newTrials, the trials the
// stage lists for the first time, are created in the same transaction: one
// commit (one fsync) for a whole stage instead of one per trial.
func (db *DB) PutStage(st Stage, newTrials ...Trial) error {
	if st.Name == "" || st.Index < 0 {
		return fmt.Errorf("store: put stage: need a name and an index >= 0 (got %q, %d)", st.Name, st.Index)
	}
	if st.Reused != nil && len(st.Reused) != len(st.TrialIDs) {
		return fmt.Errorf("store: put stage %s: %d reused flags for %d trials", st.Name, len(st.Reused), len(st.TrialIDs))
	}
	info, err := json.Marshal(stageInfo{st.Name, st.Index, st.Spec, st.Derived})
	if err != nil {
		return fmt.Errorf("store: encode stage %s: %w", st.Name, err)
	}
	encoded := make([][]byte, len(newTrials))
	for i, t := range newTrials {
		if t.Status.Final() {
			return fmt.Errorf("store: put stage %s: trial %s: status %s must be set by FinishTrial", st.Name, t.ID, t.Status)
		}
		if encoded[i], err = encodeTrial(t); err != nil {
			return err
		}
	}
	key := u64key(uint64(st.Index))
	return db.update("put_stage", func(tx *bolt.Tx) error {
		for i, t := range newTrials {
			if err := putTrial(tx, t.ID, encoded[i]); err != nil {
				return err
			}
		}
		stages := tx.Bucket(bucketStages)
		// A stage list is tiny, so a scan is the simplest uniqueness check.
		err := stages.ForEachBucket(func(k []byte) error {
			var other stageInfo
			if err := json.Unmarshal(stages.Bucket(k).Get(keyInfo), &other); err != nil {
				return kindErrorf(ErrCorrupt, err, "decode stage %d: %v", binary.BigEndian.Uint64(k), err)
			}
			if other.Name == st.Name && other.Index != st.Index {
				return fmt.Errorf("store: put stage %s: name already used by stage %d", st.Name, other.Index)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if stages.Bucket(key) != nil {
			if err := stages.DeleteBucket(key); err != nil {
				return fmt.Errorf("store: put stage %s: %w", st.Name, err)
			}
		}
		b, err := stages.CreateBucket(key)
		if err == nil {
			err = b.Put(keyInfo, info)
		}
		var list *bolt.Bucket
		if err == nil {
			list, err = b.CreateBucket(keyTrials)
		}
		if err != nil {
			return fmt.Errorf("store: put stage %s: %w", st.Name, err)
		}
		list.FillPercent = 1 // keys are appended in order
		for i, id := range st.TrialIDs {
			if id == "" {
				return fmt.Errorf("store: put stage %s: empty trial id at position %d", st.Name, i)
			}
			if err := list.Put(u64key(uint64(i)), encodeEntry(id, st.Reused != nil && st.Reused[i])); err != nil {
				return fmt.Errorf("store: put stage %s: %w", st.Name, err)
			}
		}
		return nil
	})
}

// Stages returns all stages in index order.
func (db *DB) Stages() ([]Stage, error) {
	var out []Stage
	err := db.bolt.View(func(tx *bolt.Tx) error {
		stages := tx.Bucket(bucketStages)
		return stages.ForEachBucket(func(k []byte) error {
			st, err := readStage(stages.Bucket(k))
			out = append(out, st)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Stage returns the stage called name, or ErrNotFound.
func (db *DB) Stage(name string) (Stage, error) {
	stages, err := db.Stages()
	if err != nil {
		return Stage{}, err
	}
	for _, st := range stages {
		if st.Name == name {
			return st, nil
		}
	}
	return Stage{}, kindErrorf(ErrNotFound, nil, "stage %q not found", name)
}

func readStage(b *bolt.Bucket) (Stage, error) {
	var info stageInfo
	if err := json.Unmarshal(b.Get(keyInfo), &info); err != nil {
		return Stage{}, kindErrorf(ErrCorrupt, err, "decode stage: %v", err)
	}
	st := Stage{Name: info.Name, Index: info.Index, Spec: info.Spec, Derived: info.Derived}
	list := b.Bucket(keyTrials)
	if list == nil {
		return st, kindErrorf(ErrCorrupt, nil, "stage %s has no trial list", info.Name)
	}
	err := list.ForEach(func(_, v []byte) error {
		id, reused, err := decodeEntry(v)
		if err != nil {
			return kindErrorf(ErrCorrupt, err, "stage %s: %v", info.Name, err)
		}
		st.TrialIDs = append(st.TrialIDs, id)
		st.Reused = append(st.Reused, reused)
		return nil
	})
	return st, err
}
