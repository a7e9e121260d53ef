package report

import (
	"math"
	"strconv"
)

// Number is a float64 that encodes to JSON as null when it is NaN or
// infinite (a diverged trial's cost), since JSON has no such numbers.
type Number float64

// MarshalJSON writes the shortest representation that reads back exactly.
func (n Number) MarshalJSON() ([]byte, error) { return appendJSONNumber(nil, float64(n)), nil }

// appendJSONNumber appends v as Number encodes it.
func appendJSONNumber(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// Percent formats an accuracy for people: 0.8734 → "87.34%".
func Percent(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return strconv.FormatFloat(100*x, 'f', 2, 64) + "%"
}

// Sci formats a value that spans decades, such as lambda: 0.0001 → "1.00e-04".
func Sci(x float64) string { return strconv.FormatFloat(x, 'e', 2, 64) }

// FormatParam formats a parameter value for people: lambda and other
// values spanning decades in scientific notation, whole numbers (below
// 10^9, past which an integer is too long to read) as integers.
func FormatParam(name string, v float64) string {
	if name != "lambda" && v == math.Trunc(v) && math.Abs(v) < 1e9 {
		return strconv.FormatInt(int64(v), 10)
	}
	return Sci(v)
}

// ShortID is the first 8 characters of a trial id, as tables and file
// names show it (a prefix that commands taking a trial accept).
func ShortID(id string) string { return id[:min(8, len(id))] }

// Fixed formats a cost or loss with four decimals.
func Fixed(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return strconv.FormatFloat(x, 'f', 4, 64)
}
