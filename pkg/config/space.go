package config

import (
	"fmt"
	"math"
	"strings"

	"github.com/sweep-ml/sweep/internal/detmath"
)

// DimKind is how a dimension of a space is given and sampled.
type DimKind int

const (
	Const      DimKind = iota // a plain value
	Log10                     // {log10: [a, b]}: value 10^u, u uniform in [a, b]
	LogUniform                // {loguniform: [lo, hi]}: like log10 with bounds as values
	Uniform                   // {uniform: [a, b]}
	Int                       // {int: [a, b]}: the integers a..b
	Choice                    // {choice: [v1, v2, ...]}
)

var kindNames = [...]string{"const", "log10", "loguniform", "uniform", "int", "choice"}

func (k DimKind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("DimKind(%d)", int(k))
}

// Log reports whether the dimension is sampled in log10 space.
func (k DimKind) Log() bool { return k == Log10 || k == LogUniform }

// Dimension is one searched setting of a stage's space.
type Dimension struct {
	Name string // bare setting name: lambda, hidden, eta_max, ...
	Kind DimKind
	// Lo and Hi bound Log10 (exponents), LogUniform, Uniform and Int
	// (values) dimensions.
	Lo, Hi float64
	Values []float64 // Choice values; Const holds its single value here
	// Refine: the bounds are not in the file; the runner computes them with
	// RefineRange and passes them to Points.
	Refine bool
}

// Range is a refined interval: exponents for log dimensions, values for
// uniform ones.
type Range struct{ Lo, Hi float64 }

// spec spells the dimension the way the file does, for messages.
func (d Dimension) spec() string {
	switch d.Kind {
	case Const:
		return fmtList(d.Values)
	case Choice:
		return "{choice: " + fmtList(d.Values) + "}"
	}
	if d.Refine {
		return "{" + d.Kind.String() + ": refine}"
	}
	return "{" + d.Kind.String() + ": " + fmtList([]float64{d.Lo, d.Hi}) + "}"
}

func fmtList(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmtNum(x)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// expectation is what a well-formed dimension of kind k looks like.
func expectation(k DimKind) string {
	switch k {
	case Log10:
		return "expected {log10: [a, b]} with a < b"
	case LogUniform:
		return "expected {loguniform: [lo, hi]} with 0 < lo < hi"
	case Uniform:
		return "expected {uniform: [a, b]} with a < b"
	case Int:
		return "expected {int: [a, b]} with integers a <= b"
	case Choice:
		return "expected {choice: [v1, v2, ...]} with at least one number"
	}
	return "expected a finite number"
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func whole(x float64) bool { return finite(x) && x == math.Trunc(x) && math.Abs(x) <= maxExact }

// Check returns why the dimension is malformed, or "".
func (d Dimension) Check() string {
	if !numeric(d.Name) {
		return notSearchable(d.Name)
	}
	if d.Refine {
		if d.Kind != Log10 && d.Kind != LogUniform && d.Kind != Uniform {
			return fmt.Sprintf("%s cannot be refined; only log10, loguniform and uniform can", d.Kind)
		}
		return ""
	}
	bad := false
	switch d.Kind {
	case Log10, Uniform:
		bad = !finite(d.Lo) || !finite(d.Hi) || !(d.Lo < d.Hi)
	case LogUniform:
		bad = !finite(d.Hi) || !(0 < d.Lo && d.Lo < d.Hi)
	case Int:
		bad = !whole(d.Lo) || !whole(d.Hi) || d.Lo > d.Hi
	case Choice, Const:
		bad = len(d.Values) == 0 || (d.Kind == Const && len(d.Values) != 1)
		for _, v := range d.Values {
			bad = bad || !finite(v)
		}
	default:
		return fmt.Sprintf("unknown dimension kind %d", int(d.Kind))
	}
	if bad {
		got := fmtList(d.Values)
		if d.Kind != Choice && d.Kind != Const {
			got = fmtList([]float64{d.Lo, d.Hi})
		}
		return expectation(d.Kind) + ", got " + got
	}
	if Integer(d.Name) && (d.Kind == Choice || d.Kind == Const) {
		for _, v := range d.Values {
			if !whole(v) {
				return fmt.Sprintf("%s takes integers, got %s", d.Name, fmtNum(v))
			}
		}
	}
	return ""
}

// notSearchable explains why name cannot be a space key.
func notSearchable(name string) string {
	if _, ok := Lookup(name); ok {
		return fmt.Sprintf("%s is not numeric and cannot be searched; set it in the stage's training section", name)
	}
	return fmt.Sprintf("unknown key %q%s", name, suggest(name, keysOf("space")))
}

// Extremes returns the smallest and largest value the dimension can take,
// rounded like its points; ok is false for refine dimensions, whose bounds
// are not known yet.
func (d Dimension) Extremes() (lo, hi float64, ok bool) {
	if d.Refine {
		return 0, 0, false
	}
	switch d.Kind {
	case Const, Choice:
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, v := range d.Values {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	case Log10:
		lo, hi = detmath.Pow10(d.Lo), detmath.Pow10(d.Hi) // as the samplers compute them
	default:
		lo, hi = d.Lo, d.Hi
	}
	if Integer(d.Name) {
		lo, hi = math.Round(lo), math.Round(hi)
	}
	return lo, hi, true
}

// suggest returns ` (did you mean "x"?)` for the known key closest to key,
// when it is close enough to be a typo.
func suggest(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(key, k); d < bestDist && d < len(key) {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
