package search

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/sweep-ml/sweep/pkg/train"
)

// TrainingSettings lists every setting of a training run by its config key,
// the form in which runs are identified, stored and reported.
func TrainingSettings(tc train.Config) map[string]any {
	var stepSize any = tc.StepSize.Updates
	if tc.StepSize.Epochs > 0 {
		stepSize = tc.StepSize.String()
	}
	return map[string]any{
		"hidden":            tc.Hidden,
		"batch_size":        tc.BatchSize,
		"eta_min":           tc.EtaMin,
		"eta_max":           tc.EtaMax,
		"step_size":         stepSize,
		"cycles":            tc.Cycles,
		"lambda":            tc.Lambda,
		"records_per_cycle": tc.RecordsPerCycle,
		"schedule":          string(tc.Schedule),
		"gamma":             tc.Gamma,
		"shuffle":           tc.Shuffle,
		"precision":         string(tc.Precision),
		"seed":              tc.Seed,
	}
}

// TrialID identifies a trial by everything that determines its result: the
// training settings (searched parameters already applied, so 1e-4 and
// 0.0001 are one value), the numerics' version and the data set. Names,
// paths and worker counts are left out, so the same training is recognised
// wherever it is asked for. The hash is over canonical JSON: sorted keys,
// shortest round-trip floats.
func TrialID(tc train.Config, dataFingerprint string) string {
	canonical, err := json.Marshal(map[string]any{
		"algorithm_version": train.AlgorithmVersion,
		"data":              dataFingerprint,
		"training":          TrainingSettings(tc),
	})
	if err != nil {
		panic("search: trial settings are not JSON: " + err.Error()) // only finite numbers reach here
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:12])
}
