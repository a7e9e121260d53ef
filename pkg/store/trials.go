package store

import (
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

func encodeTrial(t Trial) ([]byte, error) {
	if t.ID == "" {
		return nil, errors.New("store: trial has no id")
	}
	if !t.Status.valid() {
		return nil, fmt.Errorf("store: trial %s: unknown status %q", t.ID, t.Status)
	}
	v, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("store: encode trial %s: %w", t.ID, err)
	}
	return v, nil
}

// putTrial writes an encoded trial unless the stored one is final.
func putTrial(tx *bolt.Tx, id string, v []byte) error {
	trials := tx.Bucket(bucketTrials)
	if old := trials.Get([]byte(id)); old != nil {
		var prev struct{ Status Status }
		if err := json.Unmarshal(old, &prev); err != nil {
			return kindErrorf(ErrCorrupt, err, "decode trial %s: %v", id, err)
		}
		if prev.Status.Final() {
			return kindErrorf(ErrTrialDone, nil, "trial %s is already %s", id, prev.Status)
		}
	}
	if err := trials.Put([]byte(id), v); err != nil {
		return fmt.Errorf("store: put trial %s: %w", id, err)
	}
	return nil
}

// Trial returns the trial with the given id, or ErrNotFound.
func (db *DB) Trial(id string) (Trial, error) {
	var t Trial
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketTrials).Get([]byte(id))
		if v == nil {
			return kindErrorf(ErrNotFound, nil, "trial %s not found", id)
		}
		return decodeTrial(id, v, &t)
	})
	return t, err
}

func decodeTrial(id string, v []byte, t *Trial) error {
	if err := json.Unmarshal(v, t); err != nil {
		return kindErrorf(ErrCorrupt, err, "decode trial %s: %v", id, err)
	}
	return nil
}

// ForEachTrial calls fn for every trial, ordered by id, reading only trial
// metadata (never histories or weights). It stops at fn's first error and
// returns it. fn runs inside a read transaction and must not write to db.
func (db *DB) ForEachTrial(fn func(Trial) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTrials).ForEach(func(k, v []byte) error {
			var t Trial
			if err := decodeTrial(string(k), v, &t); err != nil {
				return err
			}
			return fn(t)
		})
	})
}

// SaveCheckpoint stores the latest checkpoint of an unfinished trial and its
// updated metadata in one transaction, so they always agree.
func (db *DB) SaveCheckpoint(id string, blob []byte, meta Trial) error {
	if meta.ID != id {
		return fmt.Errorf("store: save checkpoint %s: metadata is for trial %q", id, meta.ID)
	}
	if meta.Status.Final() {
		return fmt.Errorf("store: save checkpoint %s: status %s must be set by FinishTrial", id, meta.Status)
	}
	if len(blob) == 0 {
		return fmt.Errorf("store: save checkpoint %s: empty checkpoint", id)
	}
	v, err := encodeTrial(meta)
	if err != nil {
		return err
	}
	return db.update("save_checkpoint", func(tx *bolt.Tx) error {
		if err := putTrial(tx, id, v); err != nil {
			return err
		}
		if err := tx.Bucket(bucketCheckpoints).Put([]byte(id), blob); err != nil {
			return fmt.Errorf("store: save checkpoint %s: %w", id, err)
		}
		return nil
	})
}

// Checkpoint returns a copy of the trial's latest checkpoint, or ErrNotFound.
func (db *DB) Checkpoint(id string) ([]byte, error) {
	var out []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCheckpoints).Get([]byte(id))
		if v == nil {
			return kindErrorf(ErrNotFound, nil, "no checkpoint for trial %s", id)
		}
		out = append([]byte(nil), v...)
		return nil
	})
	return out, err
}

// FinishTrial records a trial's outcome in one transaction: it writes t,
// replaces the trial's history, stores w (required for status done, optional
// otherwise) and deletes its checkpoint. A crash or write error leaves the
// trial exactly as before. t.Status must be done, diverged or failed; a failed
// trial may be finished again later, a done or diverged one may not.
func (db *DB) FinishTrial(t Trial, history []Record, w *Weights) error {
	switch {
	case t.Status != Done && t.Status != Diverged && t.Status != Failed:
		return fmt.Errorf("store: finish trial %s: status %q is not a finished status", t.ID, t.Status)
	case t.Status == Done && w == nil:
		return fmt.Errorf("store: finish trial %s: a done trial needs its weights", t.ID)
	}
	v, err := encodeTrial(t)
	if err != nil {
		return err
	}
	var wv []byte
	if w != nil {
		if err := w.validate(); err != nil {
			return fmt.Errorf("store: finish trial %s: %w", t.ID, err)
		}
		wv = encodeWeights(w)
	}
	for i := range history {
		if history[i].Step < 0 || (i > 0 && history[i].Step <= history[i-1].Step) {
			return fmt.Errorf("store: finish trial %s: history steps must be >= 0 and strictly increasing (record %d has step %d)", t.ID, i, history[i].Step)
		}
	}
	id := []byte(t.ID)
	return db.update("finish_trial", func(tx *bolt.Tx) error {
		if err := putTrial(tx, t.ID, v); err != nil {
			return err
		}
		if err := putHistory(tx, id, history); err != nil {
			return fmt.Errorf("store: finish trial %s: %w", t.ID, err)
		}
		weights := tx.Bucket(bucketWeights)
		var err error
		if wv != nil {
			err = weights.Put(id, wv)
		} else {
			err = weights.Delete(id)
		}
		if err == nil {
			err = tx.Bucket(bucketCheckpoints).Delete(id)
		}
		if err != nil {
			return fmt.Errorf("store: finish trial %s: %w", t.ID, err)
		}
		return nil
	})
}

func putHistory(tx *bolt.Tx, id []byte, history []Record) error {
	hb := tx.Bucket(bucketHistory)
	if hb.Bucket(id) != nil {
		if err := hb.DeleteBucket(id); err != nil {
			return err
		}
	}
	b, err := hb.CreateBucket(id)
	if err != nil {
		return err
	}
	b.FillPercent = 1 // steps are appended in increasing order
	buf := make([]byte, 0, recordSize*len(history))
	for _, r := range history {
		start := len(buf)
		buf = encodeRecord(buf, r)
		if err := b.Put(u64key(uint64(r.Step)), buf[start:]); err != nil {
			return err
		}
	}
	return nil
}

// History returns the trial's records in step order. A known trial without
// history yields none; an unknown trial is ErrNotFound.
func (db *DB) History(id string) ([]Record, error) {
	var out []Record
	err := db.ForEachRecord(id, func(r Record) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// ForEachRecord streams the trial's history in step order, stopping at fn's
// first error. fn runs inside a read transaction and must not write to db.
func (db *DB) ForEachRecord(id string, fn func(Record) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHistory).Bucket([]byte(id))
		if b == nil {
			if tx.Bucket(bucketTrials).Get([]byte(id)) == nil {
				return kindErrorf(ErrNotFound, nil, "trial %s not found", id)
			}
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			r, err := decodeRecord(k, v)
			if err != nil {
				return kindErrorf(ErrCorrupt, err, "trial %s: %v", id, err)
			}
			return fn(r)
		})
	})
}

// Weights returns the trial's final weights, or ErrNotFound.
func (db *DB) Weights(id string) (*Weights, error) {
	var w *Weights
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketWeights).Get([]byte(id))
		if v == nil {
			return kindErrorf(ErrNotFound, nil, "no weights for trial %s", id)
		}
		var err error
		if w, err = decodeWeights(v); err != nil {
			return kindErrorf(ErrCorrupt, err, "trial %s: %v", id, err)
		}
		return nil
	})
	return w, err
}

// MarkInterrupted turns every running trial back into a pending one and
// returns their ids. A writer calls it right after Open: any trial still
// "running" then belongs to a process that died, and its checkpoint (kept)
// lets it resume.
func (db *DB) MarkInterrupted() ([]string, error) {
	var ids []string
	err := db.update("mark_interrupted", func(tx *bolt.Tx) error {
		trials := tx.Bucket(bucketTrials)
		var updates []Trial
		err := trials.ForEach(func(k, v []byte) error {
			var t Trial
			if err := decodeTrial(string(k), v, &t); err != nil {
				return err
			}
			if t.Status == Running {
				t.Status = Pending
				updates = append(updates, t)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(updates) == 0 {
			return errNothingInterrupted // roll back: the file stays as it was
		}
		// Written after the scan: bbolt forbids modifying a bucket mid-ForEach.
		for _, t := range updates {
			v, err := encodeTrial(t)
			if err != nil {
				return err
			}
			if err := trials.Put([]byte(t.ID), v); err != nil {
				return fmt.Errorf("store: mark interrupted %s: %w", t.ID, err)
			}
			ids = append(ids, t.ID)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errNothingInterrupted) {
		return nil, err
	}
	return ids, nil
}

var errNothingInterrupted = errors.New("no trial was left running")
