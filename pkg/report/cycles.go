package report

import (
	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
)

// CyclesTrained is how many whole cycles a trial trained: as stored, or,
// for a done trial of a file written before halving recorded it, the
// cycles of its config.
func CyclesTrained(t store.Trial) int {
	if t.CyclesTrained > 0 || !t.Status.Complete() || len(t.Config) == 0 {
		return t.CyclesTrained
	}
	s, _, err := config.ReadSettings(t.Config)
	if err != nil {
		return 0
	}
	if c, ok := s["cycles"].(int); ok {
		return c
	}
	return 0
}
