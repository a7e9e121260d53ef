package report

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
)

func TestNumberJSON(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{math.NaN(), "null"},
		{math.Inf(1), "null"},
		{math.Inf(-1), "null"},
		{1e-4, "0.0001"},
		{0.8734, "0.8734"},
		{2, "2"},
		{1e-21, "1e-21"},
	} {
		got, err := json.Marshal(Number(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("Number(%g) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
		if tc.want != "null" {
			var back float64
			if err := json.Unmarshal(got, &back); err != nil || back != tc.in {
				t.Errorf("%s reads back as %g, want %g", got, back, tc.in)
			}
		}
	}
}

func ExamplePercent() {
	fmt.Println(Percent(0.8734), Sci(1e-4), Fixed(1.23456789))
	// Output: 87.34% 1.00e-04 1.2346
}

func ExampleFormatParam() {
	fmt.Println(FormatParam("lambda", 1e-4), FormatParam("lambda", 1), FormatParam("hidden", 100), FormatParam("eta_max", 0.05), FormatParam("step_size", 4e9))
	// Output: 1.00e-04 1.00e+00 100 5.00e-02 4.00e+09
}

func ExampleParamNames() {
	trials := []map[string]float64{{"lambda": 1e-3, "hidden": 50}, {"lambda": 1e-2, "eta_max": 0.1}}
	fmt.Println(ParamNames(trials, func(p map[string]float64) map[string]float64 { return p }))
	// Output: [lambda eta_max hidden]
}
