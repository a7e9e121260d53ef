package report

import (
	"bufio"
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
	bw := bufio.NewWriter(w)
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
	var line []byte
	for i, h := range header {
		line = appendCSVField(line, i, h)
	}
	for i, r := range rows {
		line = append(line, '\n')
		line = strconv.AppendInt(line, int64(i+1), 10)
		line = appendCSVField(line, 1, r.ID)
		line = appendCSVField(line, 1, r.ListedIn)
		line = appendCSVField(line, 1, r.Stage)
		line = append(line, ',')
		line = strconv.AppendBool(line, r.Reused)
		line = appendCSVField(line, 1, string(r.Status))
		if grouped {
			line = append(line, ',')
			line = strconv.AppendInt(line, int64(len(r.Seeds.IDs)), 10)
			line = append(line, ',')
			line = strconv.AppendInt(line, int64(r.Seeds.Done), 10)
		}
		for _, name := range names {
			v, ok := r.Params[name]
			if !ok {
				v = math.NaN()
			}
			line = appendCSVFloat(append(line, ','), v)
		}
		for _, c := range metricCols {
			line = appendCSVFloat(append(line, ','), c.get(&r.Trial))
			if grouped {
				line = appendCSVFloat(append(line, ','), r.Seeds.Std[c.key])
			}
		}
		line = appendCSVFloat(append(line, ','), r.WallSeconds)
		line = append(line, ',')
		if r.DivergedStep > 0 {
			line = strconv.AppendInt(line, int64(r.DivergedStep), 10)
		}
		line = appendCSVField(line, 1, r.Error)
		if _, err := bw.Write(line); err != nil {
			return err
		}
		line = line[:0]
	}
	line = append(line, '\n')
	if _, err := bw.Write(line); err != nil {
		return err
	}
	return bw.Flush()
}

// appendCSVFloat writes the shortest exact spelling of v, or nothing for
// NaN and ±Inf.
func appendCSVFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return b
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendCSVField writes s as field number i of a line (a comma first unless
// it is the first), quoted as RFC 4180 requires.
func appendCSVField(b []byte, i int, s string) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	if !needsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for j := 0; j < len(s); j++ {
		if s[j] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[j])
	}
	return append(b, '"')
}

func needsQuotes(s string) bool {
	for j := 0; j < len(s); j++ {
		switch s[j] {
		case ',', '"', '\n', '\r':
			return true
		}
	}
	return s != "" && (s[0] == ' ' || s[len(s)-1] == ' ')
}
