package search

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// ErrVersion is wrapped by the error for a database this binary cannot
// continue: its trials were computed by other numerics, or their ids were
// encoded differently, so every one of them would be trained again.
var ErrVersion = errors.New("version differs")

// checkVersion refuses, before anything is written, a database whose trials
// this binary would not reproduce. It must run before any stage is compared
// with the stored one: a trial id hashes the numerics version, so after an
// upgrade every stage would otherwise look as if its settings had changed.
func (r *Runner) checkVersion(db *store.DB, sw store.Sweep) error {
	n := sw.Numerics
	if n == 0 { // written before the version was recorded
		var err error
		if n, err = r.inferNumerics(db, sw); err != nil {
			return err
		}
	}
	if n != 0 && n != train.AlgorithmVersion {
		return fmt.Errorf("search: numerics %w: the trials in %s were computed by numerics version %d, this sweep computes version %d; continue it with the release that wrote it (sweep version prints a release's numerics), or rerun with a new --db",
			ErrVersion, db.Path(), n, train.AlgorithmVersion)
	}
	return nil
}

// checkStoredVersion is checkVersion for a database opened only to read,
// which may hold no sweep record yet.
func (r *Runner) checkStoredVersion(db *store.DB) error {
	sw, err := db.Sweep()
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	return r.checkVersion(db, sw)
}

// recordNumerics stores the numerics version in a sweep record written
// before it was recorded; checkVersion has established that it is this
// binary's.
func recordNumerics(db *store.DB, sw store.Sweep) error {
	if sw.Numerics != 0 {
		return nil
	}
	sw.Numerics = train.AlgorithmVersion
	return db.PutSweep(sw)
}

// inferNumerics finds the numerics version of a database that does not
// record it, from the first trial whose id it can reproduce from the
// trial's stored settings: the id hashes the settings, the data set and the
// numerics version. It returns 0 for a database without trials, and an
// error when no trial's id matches any version up to this binary's, which
// means the ids were encoded in another way.
func (r *Runner) inferNumerics(db *store.DB, sw store.Sweep) (int, error) {
	fingerprints := []string{sw.DataFingerprint}
	for _, ds := range r.data {
		fingerprints = append(fingerprints, ds.Info.Fingerprint)
	}
	found, trials := 0, 0
	errFound := errors.New("found")
	err := db.ForEachTrial(func(t store.Trial) error {
		trials++
		for v := train.AlgorithmVersion; v >= 1; v-- {
			for _, fp := range fingerprints {
				if trialIDFor(v, fp, t.Config) == t.ID {
					found = v
					return errFound
				}
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, errFound):
		return found, nil
	case err != nil:
		return 0, err
	case trials > 0:
		return 0, fmt.Errorf("search: trial encoding %w: none of the %d trials in %s has the id its settings give under any numerics version up to %d; continue it with the release that wrote it, or rerun with a new --db",
			ErrVersion, trials, db.Path(), train.AlgorithmVersion)
	}
	return 0, nil
}

// trialIDFor is the id of a trial from its stored settings under a given
// numerics version, through the one canonical encoding; "" if the settings
// do not decode.
func trialIDFor(version int, dataFingerprint string, training json.RawMessage) string {
	tc, err := config.DecodeSettings(training)
	if err != nil {
		return ""
	}
	enc, err := config.EncodeTrial(config.Trial{Settings: tc, Data: dataFingerprint, Numerics: version})
	if err != nil {
		return ""
	}
	return config.TrialID(enc)
}
