package search

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/config"
)

func stage(sampler config.Sampler, trials int, dims ...config.Dimension) *config.Stage {
	return &config.Stage{Name: "s", Sampler: sampler, Trials: trials, Seeds: 1, Space: dims}
}

func points(t *testing.T, st *config.Stage, seed uint64, n int) []map[string]float64 {
	t.Helper()
	pts, warnings, err := Points(st, seed, n, nil)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("Points: %v %v", warnings, err)
	}
	return pts
}

func column(pts []map[string]float64, name string) []float64 {
	out := make([]float64, len(pts))
	for i, p := range pts {
		out[i] = p[name]
	}
	return out
}

func TestGridLogSpacingAndEndpoints(t *testing.T) {
	st := stage(config.Grid, 5, config.Dimension{Name: "lambda", Kind: config.Log10, Lo: -5, Hi: -1})
	got := column(points(t, st, 1, 5), "lambda")
	want := []float64{1e-5, 1e-4, 1e-3, 1e-2, 1e-1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// loguniform bounds are values; the endpoints come out exactly.
	st = stage(config.Grid, 3, config.Dimension{Name: "eta_max", Kind: config.LogUniform, Lo: 0.003, Hi: 0.7})
	if got := column(points(t, st, 1, 3), "eta_max"); got[0] != 0.003 || got[2] != 0.7 || math.Abs(got[1]-math.Sqrt(0.003*0.7)) > 1e-15 {
		t.Errorf("loguniform grid %v", got)
	}
}

func TestGridMidpointForOneTrial(t *testing.T) {
	st := stage(config.Grid, 1,
		config.Dimension{Name: "lambda", Kind: config.Log10, Lo: -5, Hi: -1},
		config.Dimension{Name: "gamma", Kind: config.Uniform, Lo: 0.5, Hi: 1},
		config.Dimension{Name: "hidden", Kind: config.Int, Lo: 10, Hi: 21})
	got := points(t, st, 1, 1)
	want := []map[string]float64{{"lambda": 1e-3, "gamma": 0.75, "hidden": 16}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestGridProductInNameOrder(t *testing.T) {
	st := stage(config.Grid, 2,
		config.Dimension{Name: "lambda", Kind: config.Uniform, Lo: 0, Hi: 1},
		config.Dimension{Name: "batch_size", Kind: config.Choice, Values: []float64{50, 100, 200}},
		config.Dimension{Name: "cycles", Kind: config.Const, Values: []float64{3}})
	got := points(t, st, 1, 2)
	var want []map[string]float64
	for _, b := range []float64{50, 100, 200} {
		for _, l := range []float64{0, 1} {
			want = append(want, map[string]float64{"batch_size": b, "cycles": 3, "lambda": l})
		}
	}
	// Points takes the space as given; config.Parse sorts it by name.
	st.Space[0], st.Space[1] = st.Space[1], st.Space[0]
	got = points(t, st, 1, 2)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v,\nwant %v", got, want)
	}
}

func TestGridIntegers(t *testing.T) {
	// Fewer integers than trials: all of them.
	st := stage(config.Grid, 8, config.Dimension{Name: "cycles", Kind: config.Int, Lo: 1, Hi: 3})
	if got := column(points(t, st, 1, 8), "cycles"); !reflect.DeepEqual(got, []float64{1, 2, 3}) {
		t.Errorf("small int range %v", got)
	}
	// More: evenly spaced, rounded.
	st = stage(config.Grid, 4, config.Dimension{Name: "hidden", Kind: config.Int, Lo: 10, Hi: 20})
	if got := column(points(t, st, 1, 4), "hidden"); !reflect.DeepEqual(got, []float64{10, 13, 17, 20}) {
		t.Errorf("large int range %v", got)
	}
}

func TestGridRoundingDropsDuplicatesWithAWarning(t *testing.T) {
	st := stage(config.Grid, 8, config.Dimension{Name: "hidden", Kind: config.Log10, Lo: 1, Hi: 1.2})
	pts, warnings, err := Points(st, 1, 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := column(pts, "hidden"); !reflect.DeepEqual(got, []float64{10, 11, 12, 13, 14, 15, 16}) {
		t.Errorf("hidden %v", got)
	}
	want := `search: stage "s": hidden: 1 of 8 grid values are duplicates after rounding to integers and were dropped`
	if len(warnings) != 1 || warnings[0] != want {
		t.Errorf("warnings %q", warnings)
	}
}

func TestRandomIsSeededPerStageAndTrial(t *testing.T) {
	dims := []config.Dimension{
		{Name: "lambda", Kind: config.Log10, Lo: -5, Hi: -1},
		{Name: "hidden", Kind: config.Int, Lo: 10, Hi: 100},
		{Name: "eta_max", Kind: config.LogUniform, Lo: 1e-3, Hi: 1e-1},
		{Name: "batch_size", Kind: config.Choice, Values: []float64{50, 100}},
		{Name: "gamma", Kind: config.Uniform, Lo: 0.9, Hi: 1},
	}
	st := stage(config.Random, 50, dims...)
	a := points(t, st, 111, 50)
	if b := points(t, st, 111, 50); !reflect.DeepEqual(a, b) {
		t.Error("same seed, different points")
	}
	if b := points(t, st, 112, 50); reflect.DeepEqual(a[0], b[0]) {
		t.Error("another seed, same first point")
	}
	other := stage(config.Random, 50, dims...)
	other.Name = "t"
	if b := points(t, other, 111, 50); reflect.DeepEqual(a[0], b[0]) {
		t.Error("another stage name, same first point")
	}
	checkBounds(t, a, dims)
	// Not all the same: the stream advances per trial.
	if a[0]["lambda"] == a[1]["lambda"] {
		t.Error("trials 0 and 1 share lambda")
	}
}

func checkBounds(t *testing.T, pts []map[string]float64, dims []config.Dimension) {
	t.Helper()
	for _, p := range pts {
		for _, d := range dims {
			v := p[d.Name]
			lo, hi, _ := d.Extremes()
			if v < lo || v > hi || (config.Integer(d.Name) && v != math.Round(v)) {
				t.Errorf("%s = %v outside [%v, %v]", d.Name, v, lo, hi)
			}
		}
	}
}

func TestMorePointsOnlyAppend(t *testing.T) {
	dims := []config.Dimension{{Name: "lambda", Kind: config.Log10, Lo: -5, Hi: -1}, {Name: "hidden", Kind: config.Int, Lo: 10, Hi: 100}}
	for _, sampler := range []config.Sampler{config.Random, config.Sobol} {
		st := stage(sampler, 40, dims...)
		long := points(t, st, 5, 40)
		for _, n := range []int{1, 7, 8, 33} {
			if short := points(t, st, 5, n); !reflect.DeepEqual(short, long[:n]) {
				t.Errorf("%s: the first %d of 40 points differ from %d points", sampler, n, n)
			}
		}
	}
}

func TestSobolStratifies(t *testing.T) {
	const n = 64
	st := stage(config.Sobol, n, config.Dimension{Name: "gamma", Kind: config.Uniform, Lo: 0, Hi: 1}, config.Dimension{Name: "lambda", Kind: config.Uniform, Lo: 0, Hi: 1})
	pts := points(t, st, 9, n)
	// Each interval of width 1/n holds exactly one point in each dimension,
	// and each 8x8 cell of the unit square holds exactly one point.
	for _, name := range []string{"gamma", "lambda"} {
		seen := map[int]bool{}
		for _, p := range pts {
			seen[int(p[name]*n)] = true
		}
		if len(seen) != n {
			t.Errorf("%s: %d of %d intervals hit", name, len(seen), n)
		}
	}
	cells := map[[2]int]bool{}
	for _, p := range pts {
		cells[[2]int{int(p["gamma"] * 8), int(p["lambda"] * 8)}] = true
	}
	if len(cells) != n {
		t.Errorf("%d of 64 cells hit", len(cells))
	}
}

func TestSobolEveryDimensionStratifies(t *testing.T) {
	// The one-dimensional projections of all embedded dimensions: a check
	// of the direction-number table.
	const n = 256
	for d := range sobolDirections {
		seen := map[uint32]bool{}
		for i := range uint32(n) {
			seen[sobol(d, i)>>24] = true
		}
		if len(seen) != n {
			t.Errorf("dimension %d: %d of %d intervals hit", d+1, len(seen), n)
		}
	}
	// The start of the unscrambled sequence, as in Joe and Kuo's generator.
	want := [][2]float64{{0, 0}, {0.5, 0.5}, {0.75, 0.25}, {0.25, 0.75}, {0.375, 0.375}, {0.875, 0.875}}
	for i, w := range want {
		if x, y := float64(sobol(0, uint32(i)))/(1<<32), float64(sobol(1, uint32(i)))/(1<<32); x != w[0] || y != w[1] {
			t.Errorf("point %d = (%v, %v), want %v", i, x, y, w)
		}
	}
}

func TestSobolValuesWithinBounds(t *testing.T) {
	dims := []config.Dimension{
		{Name: "lambda", Kind: config.LogUniform, Lo: 1e-5, Hi: 1e-1},
		{Name: "batch_size", Kind: config.Int, Lo: 20, Hi: 30},
		{Name: "cycles", Kind: config.Choice, Values: []float64{1, 2, 3}},
		{Name: "hidden", Kind: config.Uniform, Lo: 10, Hi: 12},
	}
	checkBounds(t, points(t, stage(config.Sobol, 100, dims...), 3, 100), dims)
}

func TestRefine(t *testing.T) {
	r := RefineRange([]float64{1e-4, 1e-3, 3e-4}, config.Log10, 0.25)
	if math.Abs(r.Lo+4.25) > 1e-12 || math.Abs(r.Hi+2.75) > 1e-12 {
		t.Errorf("log refine %+v", r)
	}
	if r := RefineRange([]float64{0.5, 0.7}, config.Uniform, 0.1); r != (config.Range{Lo: 0.4, Hi: 0.7999999999999999}) && r != (config.Range{Lo: 0.4, Hi: 0.8}) {
		t.Errorf("uniform refine %+v", r)
	}
	st := stage(config.Random, 20, config.Dimension{Name: "lambda", Kind: config.Log10, Refine: true})
	if _, _, err := Points(st, 1, 20, nil); err == nil {
		t.Error("refine dimension without a range accepted")
	}
	pts, _, err := Points(st, 1, 20, map[string]config.Range{"lambda": {Lo: -4.25, Hi: -2.75}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		if u := math.Log10(p["lambda"]); u < -4.25-1e-12 || u > -2.75+1e-12 {
			t.Errorf("lambda %v outside the refined range", p["lambda"])
		}
	}
}

func TestPointsOfABestStage(t *testing.T) {
	st := &config.Stage{Name: "final", Best: 1}
	if _, _, err := Points(st, 1, 1, nil); err == nil || !strings.Contains(err.Error(), "best") {
		t.Errorf("got %v", err)
	}
}

// A tpe stage's points come from results, which Points does not have: it
// refuses the stage whatever n, even the startup points alone.
func TestPointsRefusesATPEStage(t *testing.T) {
	st := stage(config.TPESampler, 10, config.Dimension{Name: "lambda", Kind: config.Log10, Lo: -5, Hi: -1})
	st.TPE = &config.TPE{Startup: 4, Batch: 2}
	for _, n := range []int{1, 4, 10} {
		if pts, _, err := Points(st, 1, n, nil); !errors.Is(err, ErrNeedsResults) || pts != nil {
			t.Errorf("Points(%d) of a tpe stage: %d points, %v; want none and ErrNeedsResults", n, len(pts), err)
		}
	}
}

func TestSeedStream(t *testing.T) {
	if SeedStream(111, 0) != 111 {
		t.Error("stream 0 is not the sweep seed")
	}
	if a, b := SeedStream(111, 1), SeedStream(111, 2); a == b || a == 111 {
		t.Errorf("streams 1 and 2: %d %d", a, b)
	}
}
