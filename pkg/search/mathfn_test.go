package search

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/cpu"

	"github.com/sweep-ml/sweep/pkg/config"
)

// On amd64 with FMA, where the sweeps so far were planned, pow10, exp and
// log10 are math.Pow(10, u), math.Exp and math.Log10 bit for bit, so that
// every stored trial keeps its id; elsewhere math's functions give other
// bits, which is why the samplers do not call them.
func TestMathFnMatchesAMD64FMA(t *testing.T) {
	if runtime.GOARCH != "amd64" || !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		t.Skip("math.Exp takes its FMA path only on amd64 with AVX2 and FMA")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 2_000_000
	if testing.Short() {
		n = 200_000
	}
	check := func(what string, x, got, want float64) {
		t.Helper()
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%s(%v) = %v, math gives %v", what, x, got, want)
		}
	}
	for _, u := range []float64{0, 1, -1, 0.5, -0.5, 2, -5, 308, 309, -323, -324, 1e20, -1e20, math.Inf(1), math.Inf(-1)} {
		check("pow10", u, pow10(u), math.Pow(10, u))
	}
	for _, x := range []float64{0, -0, 1, 709.78, 709.8, -745.1, -745.2, -708, -720, 1e300, -1e300, math.Inf(1), math.Inf(-1)} {
		check("exp", x, exp(x), math.Exp(x))
	}
	for _, x := range []float64{1, 10, 1e-5, math.Sqrt2 / 2, math.Nextafter(math.Sqrt2/2, 0), math.Sqrt2, 0.5, math.MaxFloat64, 0x1p-1022} {
		check("log10", x, log10(x), math.Log10(x))
	}
	for range n {
		u := -12 + 24*rng.Float64()
		check("pow10", u, pow10(u), math.Pow(10, u))
		x := -750 + 1460*rng.Float64()
		check("exp", x, exp(x), math.Exp(x))
		v := math.Ldexp(0.5+rng.Float64()/2, rng.IntN(2000)-1000)
		check("log10", v, log10(v), math.Log10(v))
	}
}

// pointsDigest is the bits of every value the samplers give for a few
// stages with log dimensions, and of a refined range, in one string.
func pointsDigest(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	add := func(v float64) { fmt.Fprintf(&b, "%016x ", math.Float64bits(v)) }
	for _, sampler := range []config.Sampler{config.Grid, config.Random, config.Sobol} {
		st := stage(sampler, 40,
			config.Dimension{Name: "lambda", Kind: config.Log10, Lo: -6, Hi: -1},
			config.Dimension{Name: "eta_max", Kind: config.LogUniform, Lo: 0.003, Hi: 0.7})
		n := 40
		if sampler == config.Grid {
			n = 12
		}
		for _, p := range points(t, st, 7, n) {
			add(p["lambda"])
			add(p["eta_max"])
		}
	}
	r := RefineRange([]float64{3.3e-5, 7.1e-4, 0.0123}, config.Log10, 0.25)
	add(r.Lo)
	add(r.Hi)
	return b.String()
}

// Sampled values are trial settings, so a trial id is the same on every
// CPU only if they are: here, the same with and without the CPU's FMA (a
// child process with GODEBUG=cpu.fma=off, which switches math.Exp to its
// other path).
func TestPointsIndependentOfFMA(t *testing.T) {
	if os.Getenv("SWEEP_POINTS_DIGEST") == "1" {
		fmt.Println("digest:" + pointsDigest(t))
		return
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("GODEBUG=cpu.fma changes math's path on amd64 only")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPointsIndependentOfFMA$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SWEEP_POINTS_DIGEST=1", "GODEBUG=cpu.fma=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	_, child, ok := strings.Cut(string(out), "digest:")
	child, _, _ = strings.Cut(child, "\n")
	if !ok {
		t.Fatalf("child printed no digest:\n%s", out)
	}
	if want := pointsDigest(t); strings.TrimSpace(child) != strings.TrimSpace(want) {
		w, c := strings.Fields(want), strings.Fields(child)
		for i := range min(len(w), len(c)) {
			if w[i] != c[i] {
				t.Fatalf("sampled values differ without FMA: value %d of %d is %s with, %s without", i, len(w), w[i], c[i])
			}
		}
		t.Fatalf("sampled values differ without FMA: %d values with, %d without", len(w), len(c))
	}
}
