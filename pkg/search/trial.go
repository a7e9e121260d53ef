package search

import (
	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/train"
)

// TrialID identifies a trial by everything that determines its result: the
// training settings (searched parameters already applied, so 1e-4 and
// 0.0001 are one value), the numerics' version and the data set. Names,
// paths and worker counts are left out, so the same training is recognised
// wherever it is asked for. It is config.TrialID of the trial's canonical
// encoding (config.EncodeTrial).
func TrialID(tc train.Config, dataFingerprint string) (string, error) {
	enc, err := config.EncodeTrial(config.Trial{Settings: tc, Data: dataFingerprint, Numerics: train.AlgorithmVersion})
	if err != nil {
		return "", err
	}
	return config.TrialID(enc), nil
}
