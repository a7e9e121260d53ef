package report

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"
)

// WriteCSV prints rows as CSV with a header line, one column per parameter
// (named as the parameter) and raw numbers. An empty cell is a value that
// is missing or not a number (a diverged trial's NaN cost), which is how
// pandas and R read a missing value. Grouped rows add seeds, seeds_done and
// a <metric>_std column per metric.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	names := paramNames(rows)
	grouped := len(rows) > 0 && rows[0].Seeds != nil
	header := []string{"rank", "id", "stage", "trained_in", "reused", "status"}
	if grouped {
		header = append(header, "seeds", "seeds_done")
	}
	header = append(header, names...)
	for _, c := range metricCols {
		header = append(header, c.key)
		if grouped {
			header = append(header, c.key+"_std")
		}
	}
	header = append(header, "wall_seconds", "diverged_step", "error")
	if err := cw.Write(header); err != nil {
		return err
	}
	fields := make([]string, 0, len(header))
	for i, r := range rows {
		fields = append(fields[:0], strconv.Itoa(i+1), r.ID, r.ListedIn, r.Stage, strconv.FormatBool(r.Reused), string(r.Status))
		if grouped {
			fields = append(fields, strconv.Itoa(len(r.Seeds.IDs)), strconv.Itoa(r.Seeds.Done))
		}
		for _, name := range names {
			fields = append(fields, csvFloat(paramOrNaN(r.Params, name)))
		}
		for _, c := range metricCols {
			fields = append(fields, csvFloat(c.get(&r.Trial)))
			if grouped {
				fields = append(fields, csvFloat(r.Seeds.Std[c.key]))
			}
		}
		diverged := ""
		if r.DivergedStep > 0 {
			diverged = strconv.Itoa(r.DivergedStep)
		}
		fields = append(fields, csvFloat(r.WallSeconds), diverged, r.Error)
		if err := cw.Write(fields); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvFloat is the shortest exact spelling of v, or an empty cell for NaN
// and ±Inf.
func csvFloat(v float64) string { return string(appendCSVFloat(nil, v)) }

// appendCSVFloat appends csvFloat(v); a number never needs CSV quoting.
func appendCSVFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return b
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
