package config

import (
	"strconv"
	"testing"
)

// Every spelling of a tpe stage's options without a startup gives the same
// default startup, min(8, trials), and an explicit startup is kept.
func TestTPEDefaultStartupWhateverTheSpelling(t *testing.T) {
	tests := []struct {
		name, opts  string
		trials      int
		startup, bt int
	}{
		{"omitted, few trials", "", 5, 5, 4},
		{"empty mapping, few trials", "      tpe: {}\n", 5, 5, 4},
		{"null, few trials", "      tpe: null\n", 5, 5, 4},
		{"tilde, few trials", "      tpe: ~\n", 5, 5, 4},
		{"batch only, few trials", "      tpe: {batch: 2}\n", 5, 5, 2},
		{"omitted, many trials", "", 20, 8, 4},
		{"empty mapping, many trials", "      tpe: {}\n", 20, 8, 4},
		{"null, many trials", "      tpe: null\n", 20, 8, 4},
		{"explicit startup", "      tpe: {startup: 3}\n", 5, 3, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The options come before trials in half the cases: the default
			// must not depend on the keys' order.
			for _, src := range []string{
				stages("    - name: a\n      sampler: tpe\n" + tt.opts + "      trials: " + strconv.Itoa(tt.trials) + "\n"),
				stages("    - name: a\n      sampler: tpe\n      trials: " + strconv.Itoa(tt.trials) + "\n" + tt.opts),
			} {
				c, err := parseAndValidate(src)
				if err != nil {
					t.Fatalf("%s: %v", src, err)
				}
				got := c.Search.Stages[0].TPE
				if got == nil || got.Startup != tt.startup || got.Batch != tt.bt {
					t.Errorf("%s: tpe options %+v, want {Startup:%d Batch:%d}", src, got, tt.startup, tt.bt)
				}
			}
		})
	}
}
