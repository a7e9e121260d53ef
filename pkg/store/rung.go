package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// MarkRung records a halving stage's decision on a rung: the trials in
// promoted continue to the next rung, those in pruned stop. Each must be
// complete (done, pruned or promoted); only its status changes, in one
// transaction. Marking a trial again with its status changes nothing, so a
// decision may be written again after a crash.
func (db *DB) MarkRung(promoted, pruned []string) error {
	if len(promoted)+len(pruned) == 0 {
		return nil
	}
	return db.update("mark_rung", func(tx *bolt.Tx) error {
		trials := tx.Bucket(bucketTrials)
		for _, set := range []struct {
			ids    []string
			status Status
		}{{promoted, Promoted}, {pruned, Pruned}} {
			for _, id := range set.ids {
				v := trials.Get([]byte(id))
				if v == nil {
					return kindErrorf(ErrNotFound, nil, "mark rung: trial %s not found", id)
				}
				var t Trial
				if err := decodeTrial(id, v, &t); err != nil {
					return err
				}
				if !t.Status.Complete() {
					return fmt.Errorf("store: mark rung: trial %s is %s, not done", id, t.Status)
				}
				if t.Status == set.status {
					continue
				}
				t.Status = set.status
				b, err := json.Marshal(t)
				if err != nil {
					return fmt.Errorf("store: encode trial %s: %w", id, err)
				}
				if err := trials.Put([]byte(id), b); err != nil {
					return fmt.Errorf("store: mark rung: %w", err)
				}
			}
		}
		return nil
	})
}
