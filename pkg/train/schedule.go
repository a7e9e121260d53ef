package train

import "math"

// Eta returns the learning rate of update t (counted from 0) for half-cycle
// length ns. Between the corners the rate moves linearly, rising over the
// first half of each cycle and falling over the second, so that t = 2l·ns
// gives eta_min and t = (2l+1)·ns gives the cycle's peak. triangular2 halves
// the amplitude every cycle; exp_range scales it by gamma^t.
func Eta(c Config, ns, t int) float64 {
	if c.Schedule == LRRange {
		return rangeEta(c, ns, t)
	}
	cycle := t / (2 * ns)
	x := t - 2*cycle*ns // position within the cycle, 0 ≤ x < 2ns
	var frac float64
	if x <= ns {
		frac = float64(x) / float64(ns)
	} else {
		frac = float64(2*ns-x) / float64(ns)
	}
	amplitude := c.EtaMax - c.EtaMin
	switch c.Schedule {
	case Triangular2:
		amplitude = math.Ldexp(amplitude, -cycle) // amplitude / 2^cycle, exactly as divided
	case ExpRange:
		amplitude = float64(amplitude * powInt(c.Gamma, t))
	}
	// Rounded product, then sum: never left for the compiler to fuse.
	return c.EtaMin + float64(frac*amplitude)
}

// recordSteps returns the steps at which the history is recorded: step 0
// and, within each cycle of length updates, round(j·length/R) for
// j = 1..R. Integer rounding (half up) keeps the steps independent of
// floating-point quirks.
func recordSteps(length, cycles, perCycle int) []int {
	steps := make([]int, 0, 1+cycles*perCycle)
	steps = append(steps, 0)
	for l := range cycles {
		for j := 1; j <= perCycle; j++ {
			steps = append(steps, l*length+(2*j*length+perCycle)/(2*perCycle))
		}
	}
	return steps
}

// cycleLength is the updates of one cycle for half-cycle length ns: 2ns
// for the cyclical schedules, ns for an LR range test, whose rise is
// recorded over cycles of ns updates.
func (c Config) cycleLength(ns int) int {
	if c.Schedule == LRRange {
		return ns
	}
	return 2 * ns
}
