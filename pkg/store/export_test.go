package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Writes only this package's tests make, to set up states the public API
// reaches in several steps or not at all (a trial replaced or removed).

// PutTrial creates or updates a trial's metadata. It refuses (ErrTrialDone)
// to touch a trial already done or diverged, and refuses to mark one final:
// that is FinishTrial's job, so a final trial always has its results.
func (db *DB) PutTrial(t Trial) error {
	v, err := encodeTrial(t)
	if err != nil {
		return err
	}
	if t.Status.Final() {
		return fmt.Errorf("store: put trial %s: status %s must be set by FinishTrial", t.ID, t.Status)
	}
	return db.update("put_trial", func(tx *bolt.Tx) error {
		return putTrial(tx, t.ID, v)
	})
}

// DeleteTrial removes everything stored for a trial, final or not, leaving
// stage lists alone.
func (db *DB) DeleteTrial(id string) error {
	key := []byte(id)
	return db.update("delete_trial", func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketTrials).Delete(key)
		if err == nil {
			err = tx.Bucket(bucketCheckpoints).Delete(key)
		}
		if err == nil {
			err = tx.Bucket(bucketWeights).Delete(key)
		}
		if err == nil && tx.Bucket(bucketHistory).Bucket(key) != nil {
			err = tx.Bucket(bucketHistory).DeleteBucket(key)
		}
		if err != nil {
			return fmt.Errorf("store: delete trial %s: %w", id, err)
		}
		return nil
	})
}
