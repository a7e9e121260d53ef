package report

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
)

// Summary is what a ranking's header says about the sweep.
type Summary struct {
	Name        string
	Fingerprint string // data fingerprint, shortened
	Stages      []string
	Total       int
	Counts      map[store.Status]int
}

// Summarize describes db's sweep, stages and trial counts.
func Summarize(ctx context.Context, db *store.DB) (Summary, error) {
	sw, err := db.Sweep()
	if err != nil {
		return Summary{}, err
	}
	stages, err := db.Stages()
	if err != nil {
		return Summary{}, err
	}
	s := Summary{Name: sw.Name, Fingerprint: sw.DataFingerprint[:min(12, len(sw.DataFingerprint))], Counts: map[store.Status]int{}}
	for _, st := range stages {
		line, err := DescribeStage(st)
		if err != nil {
			return Summary{}, err
		}
		s.Stages = append(s.Stages, line)
	}
	err = eachTrial(ctx, db, func(t store.Trial) error {
		s.Total++
		s.Counts[t.Status]++
		return nil
	})
	return s, err
}

// CountLine says how many trials have each status: "14 trials: 12 done, 1
// diverged, 1 failed".
func (s Summary) CountLine() string {
	var parts []string
	for _, st := range store.Statuses {
		if n := s.Counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	line := fmt.Sprintf("%d trials", s.Total)
	if len(parts) > 0 {
		line += ": " + strings.Join(parts, ", ")
	}
	return line
}

// DescribeStage says how a stage chose its trials, e.g. "fine: random 8,
// lambda 10^[-4.25, -2.75] from top 3 of coarse". A spec or derived values
// that do not decode are an error: a silent blank would hide a stage.
func DescribeStage(st store.Stage) (string, error) {
	spec, err := config.DecodeStage(st.Spec)
	if err != nil {
		return "", fmt.Errorf("report: stage %q: %w", st.Name, err)
	}
	der, err := config.DecodeDerived(st.Derived)
	if err != nil {
		return "", fmt.Errorf("report: stage %q: %w", st.Name, err)
	}
	var b strings.Builder
	b.WriteString(st.Name + ": ")
	switch {
	case spec.LRRange != nil:
		b.WriteString(describeRange(spec, der))
	case spec.Best > 0:
		// "after", not "of": the best come from every earlier stage, not
		// only the one it waits for.
		fmt.Fprintf(&b, "best %d", spec.Best)
		if spec.After != "" {
			b.WriteString(" after " + spec.After)
		}
	case spec.Sampler != "":
		fmt.Fprintf(&b, "%s %d", spec.Sampler, spec.Trials)
	default:
		fmt.Fprintf(&b, "%d trials", len(st.TrialIDs))
	}
	if spec.Seeds > 1 {
		fmt.Fprintf(&b, " x %d seeds", spec.Seeds)
	}
	logDim := map[string]bool{}
	for _, d := range spec.Space {
		logDim[d.Name] = d.Kind.Log()
		if _, ok := der.Ranges[d.Name]; !ok {
			if r := spaceRange(d); r != "" {
				b.WriteString(", " + d.Name + " " + r)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(der.Ranges)) {
		r := der.Ranges[name]
		lo, hi := strconv.FormatFloat(r.Lo, 'g', 4, 64), strconv.FormatFloat(r.Hi, 'g', 4, 64)
		if logDim[name] {
			fmt.Fprintf(&b, ", %s 10^[%s, %s]", name, lo, hi)
		} else {
			fmt.Fprintf(&b, ", %s [%s, %s]", name, lo, hi)
		}
	}
	if len(der.From) > 0 {
		fmt.Fprintf(&b, " from top %d", len(der.From))
		if spec.After != "" {
			b.WriteString(" of " + spec.After)
		}
	}
	if len(der.Sources) > 0 {
		short := make([]string, len(der.Sources))
		for i, id := range der.Sources {
			short[i] = ShortID(id)
		}
		b.WriteString(", retraining " + strings.Join(short, " "))
	}
	if n := reusedCount(st); n > 0 {
		fmt.Fprintf(&b, " (%d reused)", n)
	}
	return b.String(), nil
}

func reusedCount(st store.Stage) int {
	n := 0
	for _, r := range st.Reused {
		if r {
			n++
		}
	}
	return n
}

// spaceRange spells a searched dimension of a stage's spec: "10^[-5, -1]"
// for {log10: [-5, -1]}, "uniform [0.1, 0.9]", "choice [50, 100]"; "" for a
// constant or a refine dimension, whose range is in the derived values.
func spaceRange(d config.Dimension) string {
	var vs []float64
	switch {
	case d.Kind == config.Const || d.Refine:
		return ""
	case d.Kind == config.Choice:
		vs = d.Values
	default:
		vs = []float64{d.Lo, d.Hi}
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = strconv.FormatFloat(v, 'g', 4, 64)
	}
	list := "[" + strings.Join(parts, ", ") + "]"
	if d.Kind == config.Log10 {
		return "10^" + list
	}
	return d.Kind.String() + " " + list
}

// WriteHeader prints the summary above a table.
func WriteHeader(w io.Writer, s Summary) error {
	var b strings.Builder
	fmt.Fprintf(&b, "sweep %s, data %s\n", s.Name, s.Fingerprint)
	for _, st := range s.Stages {
		b.WriteString("  " + st + "\n")
	}
	b.WriteString(s.CountLine() + "\n\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteTable prints rows as an aligned table for people.
func WriteTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, cells := range humanCells(rows) {
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// humanCells lays rows out for people, header first: the table and
// Markdown forms differ only in how they draw these cells.
func humanCells(rows []Row) [][]string {
	names := paramNames(rows)
	grouped := len(rows) > 0 && rows[0].Seeds != nil
	header := []string{"#", "id", "stage", "status"}
	if grouped {
		header = append(header, "seeds")
	}
	header = append(header, names...)
	// Rows that trained different numbers of cycles (a halving stage's
	// pruned trials) say how far each got.
	cycles := slices.ContainsFunc(rows, func(r Row) bool { return CyclesTrained(r.Trial) != CyclesTrained(rows[0].Trial) })
	if cycles {
		header = append(header, "cycles")
	}
	for _, c := range metricCols {
		if c.inTable {
			header = append(header, c.title)
		}
	}
	out := [][]string{header}
	rank := 0
	for i, r := range rows {
		stage := r.ListedIn
		if r.Reused {
			stage += " (reused)"
		}
		// A stage with its own data is ranked on its own: numbering restarts.
		rank++
		if r.OwnData {
			stage += " (own data)"
			if i > 0 && rows[i-1].Stage != r.Stage {
				rank = 1
			}
		}
		cells := []string{strconv.Itoa(rank), ShortID(r.ID), stage, string(r.Status)}
		if grouped {
			seeds := strconv.Itoa(len(r.Seeds.IDs))
			if n := len(r.Seeds.IDs); n > 1 && r.Seeds.Done != n {
				seeds = fmt.Sprintf("%d/%d done", r.Seeds.Done, len(r.Seeds.IDs))
			}
			cells = append(cells, seeds)
		}
		for _, name := range names {
			cells = append(cells, paramString(name, r.Params))
		}
		if cycles {
			cells = append(cells, strconv.Itoa(CyclesTrained(r.Trial)))
		}
		for _, c := range metricCols {
			if !c.inTable {
				continue
			}
			cell := humanMetric(c, c.get(&r.Trial))
			if grouped && !math.IsNaN(r.Seeds.Std[c.key]) {
				cell += " ± " + humanSpread(c, r.Seeds.Std[c.key])
			}
			cells = append(cells, cell)
		}
		out = append(out, cells)
	}
	return out
}

func humanMetric(c metricCol, v float64) string {
	switch {
	case c.percent:
		return Percent(v)
	case c.key == "seconds":
		if math.IsNaN(v) {
			return "-"
		}
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return Fixed(v)
}

// humanSpread formats a standard deviation in the unit of its mean:
// percentage points for accuracies.
func humanSpread(c metricCol, v float64) string {
	if c.percent {
		return strconv.FormatFloat(100*v, 'f', 2, 64)
	}
	return humanMetric(c, v)
}
