package train

import (
	"math"
	"testing"
)

func TestEtaCornersAndMidpoints(t *testing.T) {
	base := Config{EtaMin: 1e-5, EtaMax: 1e-1, Schedule: Triangular, Gamma: 0.999}
	amp := base.EtaMax - base.EtaMin
	const ns = 500
	tri2 := base
	tri2.Schedule = Triangular2
	exp := base
	exp.Schedule = ExpRange
	cases := []struct {
		name string
		c    Config
		t    int
		want float64
	}{
		{"triangular start", base, 0, 1e-5},
		{"triangular quarter", base, 250, 1e-5 + 0.5*amp},
		{"triangular peak", base, 500, 1e-1},
		{"triangular falling mid", base, 750, 1e-5 + 0.5*amp},
		{"triangular cycle end", base, 1000, 1e-5},
		{"triangular second peak", base, 1500, 1e-1},
		{"triangular second mid", base, 1250, 1e-5 + 0.5*amp},
		{"triangular2 first peak", tri2, 500, 1e-1},
		{"triangular2 second peak halves", tri2, 1500, 1e-5 + amp/2},
		{"triangular2 third peak quarters", tri2, 2500, 1e-5 + amp/4},
		{"triangular2 second mid", tri2, 1250, 1e-5 + amp/4},
		{"exp_range start", exp, 0, 1e-5},
		{"exp_range peak", exp, 500, 1e-5 + amp*math.Pow(0.999, 500)},
		{"exp_range second peak", exp, 1500, 1e-5 + amp*math.Pow(0.999, 1500)},
		{"exp_range mid", exp, 250, 1e-5 + 0.5*amp*math.Pow(0.999, 250)},
	}
	for _, tc := range cases {
		got := Eta(tc.c, ns, tc.t)
		if math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("%s: Eta(t=%d) = %.17g, want %.17g", tc.name, tc.t, got, tc.want)
		}
	}
}

// The notebook's getLr tested int(t/n_s)*2 == 0, which is true only in the
// first half cycle: afterwards the rate kept falling below eta_min. The
// schedule must stay within [eta_min, eta_max] for every update.
func TestEtaStaysInRange(t *testing.T) {
	c := Config{EtaMin: 1e-5, EtaMax: 1e-1, Schedule: Triangular}
	for step := range 4 * 800 {
		if e := Eta(c, 800, step); e < c.EtaMin || e > c.EtaMax {
			t.Fatalf("Eta(%d) = %g outside [%g, %g]", step, e, c.EtaMin, c.EtaMax)
		}
	}
}

func TestRecordSteps(t *testing.T) {
	got := recordSteps(10, 2, 3) // cycle of 10 updates: round(10/3)=3, round(20/3)=7, 10
	want := []int{0, 3, 7, 10, 13, 17, 20}
	if len(got) != len(want) {
		t.Fatalf("recordSteps = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("recordSteps = %v, want %v", got, want)
		}
	}
	// 2ns/R = 2.5: steps 2.5 → 3 (half up), 5, 7.5 → 8, 10.
	if got := recordSteps(10, 1, 4); got[1] != 3 || got[3] != 8 || got[4] != 10 {
		t.Fatalf("recordSteps(5,1,4) = %v, want [0 3 5 8 10]", got)
	}
}
