package search

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/sweep-ml/sweep/internal/detmath"
	"github.com/sweep-ml/sweep/pkg/config"
)

// ErrNeedsResults is a stage whose points depend on its trials' results
// (sampler tpe), asked for without them.
var ErrNeedsResults = errors.New("points depend on results")

// Points returns the parameter sets of stage st's trials, in order, as
// actual values by setting name (lambda = 10^u for a log10 dimension).
// Trial i depends only on (seed, stage name, i): for random and sobol
// stages, n is the number of points and raising it only appends. For grid
// stages, n is the number of points per continuous dimension (the stage's
// trials), so changing it changes the grid. refined holds the runner's
// RefineRange of every refine dimension. Warnings report grid values
// dropped as duplicates. A tpe stage's points depend on results: Points
// refuses it with an error wrapping ErrNeedsResults.
func Points(st *config.Stage, seed uint64, n int, refined map[string]config.Range) ([]map[string]float64, []string, error) {
	if st.Best > 0 {
		return nil, nil, fmt.Errorf("search: stage %q retrains the best configurations and has no points of its own", st.Name)
	}
	if n < 0 || n > config.MaxTrials {
		return nil, nil, fmt.Errorf("search: stage %q: %d points requested, want 0 to %d", st.Name, n, config.MaxTrials)
	}
	axes, err := axes(st, refined)
	if err != nil {
		return nil, nil, err
	}
	switch st.Sampler {
	case config.Grid:
		points, warnings := grid(st, axes, n)
		return points, warnings, nil
	case config.Random:
		points := make([]map[string]float64, n)
		for i := range points {
			rng := rand.New(rand.NewPCG(mix("random", seed, st.Name, uint64(i))))
			points[i] = make(map[string]float64, len(axes))
			for _, a := range axes {
				points[i][a.name] = a.at(rng.Float64())
			}
		}
		return points, nil, nil
	case config.TPESampler:
		return nil, nil, fmt.Errorf("search: stage %q: %w: a tpe stage's points come from its earlier rounds' results, which the runner's plan reads", st.Name, ErrNeedsResults)
	case config.Sobol:
		units, err := sobolUnits(st, seed, axes, n)
		if err != nil {
			return nil, nil, err
		}
		points := make([]map[string]float64, n)
		for i, u := range units {
			points[i] = pointAt(axes, u)
		}
		return points, nil, nil
	}
	return nil, nil, fmt.Errorf("search: stage %q: unknown sampler %q", st.Name, st.Sampler)
}

// sobolUnits returns the stage's first n sobol points as coordinates in
// [0, 1) of each axis.
func sobolUnits(st *config.Stage, seed uint64, axes []axis, n int) ([][]float64, error) {
	if len(axes) > len(sobolDirections) {
		return nil, fmt.Errorf("search: stage %q: sobol supports at most %d dimensions, got %d", st.Name, len(sobolDirections), len(axes))
	}
	// A random digital shift (XOR) per dimension: it keeps the
	// sequence's stratification and makes stages and seeds differ.
	rng := rand.New(rand.NewPCG(mix("sobol", seed, st.Name, 0)))
	shift := make([]uint32, len(axes))
	for j := range shift {
		shift[j] = rng.Uint32()
	}
	units := make([][]float64, n)
	for i := range units {
		units[i] = make([]float64, len(axes))
		for j := range axes {
			units[i][j] = float64(sobol(j, uint32(i))^shift[j]) / (1 << 32)
		}
	}
	return units, nil
}

// pointAt maps coordinates in [0, 1) of each axis to values by name.
func pointAt(axes []axis, u []float64) map[string]float64 {
	p := make(map[string]float64, len(axes))
	for j, a := range axes {
		p[a.name] = a.at(u[j])
	}
	return p
}

// SeedStream returns the seed of a configuration's j-th training run
// (stage seeds: N): stream 0 is the sweep seed itself, so a single-seed
// trial initialises exactly like `sweep train` with that seed.
func SeedStream(seed uint64, j int) uint64 {
	if j == 0 {
		return seed
	}
	s, _ := mix("seeds", seed, "", uint64(j))
	return s
}

// mix hashes a stream's identity into a PCG seed. SHA-256 is overkill for
// speed but stable across Go versions and platforms, which the trials'
// identities rely on.
func mix(stream string, seed uint64, stage string, i uint64) (uint64, uint64) {
	h := sha256.New()
	var b [8]byte
	for _, x := range []uint64{uint64(len(stream)), seed, uint64(len(stage)), i} {
		binary.LittleEndian.PutUint64(b[:], x)
		h.Write(b[:])
	}
	h.Write([]byte(stream))
	h.Write([]byte(stage))
	sum := h.Sum(nil)
	return binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])
}

// axis is a dimension ready for sampling: continuous kinds are sampled
// uniformly in [lo, hi], exponents for log kinds.
type axis struct {
	name     string
	kind     config.DimKind
	lo, hi   float64
	values   []float64 // Choice and Const dimensions
	vlo, vhi float64   // clamp bounds of loguniform values
	integer  bool
}

// axes returns the stage's dimensions in name order.
func axes(st *config.Stage, refined map[string]config.Range) ([]axis, error) {
	axes := make([]axis, 0, len(st.Space))
	for _, d := range st.Space {
		if reason := d.Check(); reason != "" {
			return nil, fmt.Errorf("search: stage %q: %s: %s: %w", st.Name, d.Name, reason, config.ErrInvalid)
		}
		a := axis{name: d.Name, kind: d.Kind, lo: d.Lo, hi: d.Hi, values: d.Values, integer: config.Integer(d.Name),
			vlo: math.Inf(-1), vhi: math.Inf(1)}
		switch {
		case d.Refine:
			r, ok := refined[d.Name]
			if !ok || math.IsNaN(r.Lo) || math.IsInf(r.Lo, 0) || math.IsNaN(r.Hi) || math.IsInf(r.Hi, 0) || r.Lo > r.Hi {
				return nil, fmt.Errorf("search: stage %q: %s: refine needs a finite refined range, got %v: %w", st.Name, d.Name, r, config.ErrInvalid)
			}
			a.lo, a.hi = r.Lo, r.Hi
		case d.Kind == config.LogUniform:
			a.lo, a.hi, a.vlo, a.vhi = detmath.Log10(d.Lo), detmath.Log10(d.Hi), d.Lo, d.Hi
		}
		axes = append(axes, a)
	}
	return axes, nil
}

// value maps a point u of the sampling space to the setting's value.
func (a axis) value(u float64) float64 {
	v := u
	if a.kind.Log() {
		v = detmath.Pow10(u) // not math.Pow, whose bits depend on the CPU
	}
	v = min(max(v, a.vlo), a.vhi)
	if a.integer {
		v = math.Round(v)
	}
	return v
}

// at maps x in [0, 1) to a value, uniformly in the sampling space.
func (a axis) at(x float64) float64 {
	switch a.kind {
	case config.Const:
		return a.values[0]
	case config.Choice:
		return a.values[min(int(x*float64(len(a.values))), len(a.values)-1)]
	case config.Int:
		span := a.hi - a.lo
		return a.lo + min(math.Floor(x*(span+1)), span)
	}
	// float64(...) forbids fusing into an FMA: points are trial ids, so
	// they must not depend on the CPU (amd64 never fuses; arm64 may).
	return a.value(a.lo + float64(x*(a.hi-a.lo)))
}

// gridValues returns t evenly spaced values, endpoints included (the
// midpoint for t = 1).
func (a axis) gridValues(t int) []float64 {
	switch a.kind {
	case config.Const:
		return a.values[:1]
	case config.Choice:
		return a.values
	case config.Int:
		if count := a.hi - a.lo + 1; count <= float64(t) {
			vs := make([]float64, int(count))
			for k := range vs {
				vs[k] = a.lo + float64(k)
			}
			return vs
		}
	}
	vs := make([]float64, t)
	for k := range vs {
		u := (a.lo + a.hi) / 2
		if t > 1 {
			// This form of lerp hits both endpoints exactly.
			f := float64(k) / float64(t-1)
			u = float64(a.lo*(1-f)) + float64(a.hi*f) // unfused, as in at
		}
		if a.kind == config.Int {
			vs[k] = math.Round(u)
		} else {
			vs[k] = a.value(u)
		}
	}
	return vs
}

// grid returns the cartesian product of the axes' grid values, the first
// axis (by name) varying slowest.
func grid(st *config.Stage, axes []axis, t int) ([]map[string]float64, []string) {
	if t == 0 {
		return nil, nil
	}
	var warnings []string
	values := make([][]float64, len(axes))
	total := 1
	for i, a := range axes {
		vs := a.gridValues(t)
		seen := map[float64]bool{}
		for _, v := range vs {
			if !seen[v] {
				seen[v] = true
				values[i] = append(values[i], v)
			}
		}
		if dropped := len(vs) - len(values[i]); dropped > 0 {
			how := ""
			if a.integer && a.kind != config.Choice {
				how = " after rounding to integers"
			}
			warnings = append(warnings, fmt.Sprintf("search: stage %q: %s: %d of %d grid values are duplicates%s and were dropped",
				st.Name, a.name, dropped, len(vs), how))
		}
		total *= len(values[i])
	}
	points := make([]map[string]float64, total)
	idx := make([]int, len(axes))
	for p := range points {
		points[p] = make(map[string]float64, len(axes))
		for i, a := range axes {
			points[p][a.name] = values[i][idx[i]]
		}
		for i := len(idx) - 1; i >= 0; i-- {
			if idx[i]++; idx[i] < len(values[i]) {
				break
			}
			idx[i] = 0
		}
	}
	return points, warnings
}
