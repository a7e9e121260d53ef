package train

import (
	"errors"
	"strings"
	"testing"
)

// Every run is bounded before it allocates or trains: at most MaxUpdates
// updates and MaxRecords recorded points, the message naming the keys.
func TestValidateBoundsTheRun(t *testing.T) {
	with := func(f func(*Config)) Config {
		c := DefaultConfig()
		f(&c)
		return c
	}
	for _, tc := range []struct {
		name   string
		cfg    Config
		nTrain int
		want   string // "" means valid
	}{
		{"the issue's panic", with(func(c *Config) {
			c.Cycles, c.StepSize, c.RecordsPerCycle = 10000, StepSize{Updates: 1 << 40}, 1<<40
		}), 0, "training.records_per_cycle: 1 + training.cycles 10000 x training.records_per_cycle 1099511627776"},
		{"updates just over", with(func(c *Config) { c.Cycles, c.StepSize = 1, StepSize{Updates: 1<<30 + 1} }), 0,
			"training.step_size: training.cycles 1 x 2 x training.step_size 1073741825 is more than 2147483648 updates"},
		{"updates at the bound", with(func(c *Config) { c.Cycles, c.StepSize = 1, StepSize{Updates: 1 << 30} }), 0, ""},
		{"records just over", with(func(c *Config) { c.Cycles, c.RecordsPerCycle = 3, 333_334 }), 0, "training.records_per_cycle"},
		{"records at the bound", with(func(c *Config) { c.Cycles, c.RecordsPerCycle, c.StepSize = 3, 333_333, StepSize{Updates: 1 << 20} }), 0, ""},
		{"epochs over without data", with(func(c *Config) { c.Cycles, c.StepSize = 2, StepSize{Epochs: 1<<29 + 1} }), 0,
			"training.step_size: training.cycles 2 x 2 x training.step_size 536870913 epochs"},
		{"epochs over with data", with(func(c *Config) { c.Cycles, c.StepSize = 1, StepSize{Epochs: 1 << 21} }), 100_000,
			"training.step_size: training.cycles 1 x 2 x training.step_size 2097152 epochs is more than 2147483648 updates"},
		{"epochs overflow with data", with(func(c *Config) { c.Cycles, c.StepSize, c.BatchSize = 1, StepSize{Epochs: 1 << 40}, 1 }), 1 << 30,
			"training.step_size: 1099511627776 epochs of 1073741824 updates each"},
		{"epochs fine with data", with(func(c *Config) { c.Cycles, c.StepSize = 10, StepSize{Epochs: 1000} }), 60_000, ""},
	} {
		err := tc.cfg.Validate(tc.nTrain)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalidConfig)):
			t.Errorf("%s: got %v, want an ErrInvalidConfig containing %q", tc.name, err, tc.want)
		}
		if err == nil && tc.cfg.TotalSteps(max(tc.nTrain, tc.cfg.BatchSize)) > MaxUpdates {
			t.Errorf("%s: valid with %d updates", tc.name, tc.cfg.TotalSteps(tc.nTrain))
		}
	}
}
