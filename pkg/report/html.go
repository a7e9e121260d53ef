package report

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/sweep-ml/sweep/pkg/store"
)

// HTMLOptions tune WriteHTML.
type HTMLOptions struct {
	// Top is how many of the best trials the learning-curve plot overlays;
	// 0 means 5.
	Top int
	// TrialPlots is how many trials, best first, get their own curves,
	// shown when their row is clicked; 0 means 100. Each adds about
	// 25 KB, so a sweep of thousands stays a file a browser opens.
	TrialPlots int
}

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// htmlPage is what htmlSource shows.
type htmlPage struct {
	Name, Fingerprint, Counts string
	Stages                    []htmlStage
	LambdaPlot, TopPlot       template.HTML
	PlotError                 string // why there are no sweep plots
	Columns                   []htmlColumn
	Rows                      []htmlRow
	TrialPlots, Expandable    int
	SVGStyles                 template.CSS
}

type htmlStage struct {
	Description, Counts string
}

type htmlColumn struct {
	Title string
	Text  bool // sorted as text; otherwise numerically
}

type htmlRow struct {
	ID    string
	Cells []htmlCell
	Plot  template.HTML // the trial's curves; empty when not drawn
}

// htmlCell is a table cell: Text for people, Value (raw; "" when missing)
// for the sort.
type htmlCell struct {
	Text, Value string
}

// WriteHTML writes a one-file report of the sweep in db, readable offline:
// a summary of the sweep and its stages, validation accuracy against
// lambda, the best trials' learning curves, and the ranking as a table that
// sorts by any column and shows a trial's own curves when its row is
// clicked. Plots are inline SVG and the only script is inline; nothing is
// fetched from anywhere.
func WriteHTML(ctx context.Context, w io.Writer, db *store.DB, opts HTMLOptions) error {
	if opts.Top <= 0 {
		opts.Top = 5
	}
	if opts.TrialPlots <= 0 {
		opts.TrialPlots = 100
	}
	sum, err := Summarize(ctx, db)
	if err != nil {
		return err
	}
	stages, err := db.Stages()
	if err != nil {
		return err
	}
	d, err := readSweepPlotData(ctx, db)
	if err != nil {
		return err
	}
	page := htmlPage{Name: sum.Name, Fingerprint: sum.Fingerprint, Counts: sum.CountLine(), TrialPlots: opts.TrialPlots}
	var styles svgStyles
	status := make(map[string]store.Status, len(d.rows))
	for _, r := range d.rows {
		status[r.ID] = r.Status
	}
	for i, st := range stages {
		counts := Summary{Total: len(st.TrialIDs), Counts: map[store.Status]int{}}
		for _, id := range st.TrialIDs {
			counts.Counts[status[id]]++
		}
		page.Stages = append(page.Stages, htmlStage{sum.Stages[i], counts.CountLine()})
	}

	if f, err := lambdaFigure(d, 1000, 560); err != nil {
		page.PlotError = err.Error()
	} else if page.LambdaPlot, err = styles.inline(f); err != nil {
		return err
	}
	curves, err := topCurves(ctx, db, d.rows, opts.Top)
	if err != nil {
		return err
	}
	if f, err := topFigure(d.name, curves, 1000, 560); err == nil {
		if page.TopPlot, err = styles.inline(f); err != nil {
			return err
		}
	}

	page.Columns, page.Rows = htmlTable(d.rows)
	for i, r := range d.rows {
		if page.Expandable == opts.TrialPlots {
			break
		}
		if r.Status != store.Done && r.Status != store.Pruned && r.Status != store.Diverged {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := db.History(r.ID)
		if err != nil {
			return err
		}
		f, err := trialFigure(r.Trial, h, 900, 620)
		if err != nil {
			continue // no history: nothing to show
		}
		if page.Rows[i].Plot, err = styles.inline(f); err != nil {
			return err
		}
		page.Expandable++
	}
	page.SVGStyles = styles.css()
	if err := htmlTemplate.Execute(w, page); err != nil {
		return fmt.Errorf("report: write HTML: %w", err)
	}
	return nil
}

// htmlTable lays out the ranking as the text table does, with raw values
// for sorting.
func htmlTable(rows []Row) ([]htmlColumn, []htmlRow) {
	names := paramNames(rows)
	cols := []htmlColumn{{"#", false}, {"id", true}, {"stage", true}, {"status", true}}
	for _, n := range names {
		cols = append(cols, htmlColumn{n, false})
	}
	for _, c := range metricCols {
		if c.inTable {
			cols = append(cols, htmlColumn{c.title, false})
		}
	}
	out := make([]htmlRow, len(rows))
	for i, r := range rows {
		stage := r.ListedIn
		if r.Reused {
			stage += " (reused)"
		}
		cells := []htmlCell{
			{strconv.Itoa(i + 1), strconv.Itoa(i + 1)},
			{ShortID(r.ID), r.ID},
			{stage, stage},
			{string(r.Status), string(r.Status)},
		}
		for _, n := range names {
			v, ok := r.Params[n]
			cells = append(cells, htmlCell{paramString(n, r.Params), rawNumber(v, ok)})
		}
		for _, c := range metricCols {
			if c.inTable {
				v := c.get(&r.Trial)
				cells = append(cells, htmlCell{humanMetric(c, v), rawNumber(v, true)})
			}
		}
		out[i] = htmlRow{ID: r.ID, Cells: cells}
	}
	return cols, out
}

// rawNumber is a sort value: the shortest exact form, "" for a value that
// is missing or not a number, which sorts last.
func rawNumber(v float64, ok bool) string {
	if !ok || !finite(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// svgStyles shares the style attributes of a page's SVGs as CSS classes.
// gonum spells out every element's style, e.g. 110 bytes of font for each
// tick label, which made up half of a trial's plot.
type svgStyles struct {
	class map[string]string // style → class name
	order []string          // styles in order of first use
}

var styleAttr = regexp.MustCompile(`\s+style="([^"]*)"`)

// inline renders f as an <svg> element for the page: gonum's XML prolog
// dropped, styles replaced by classes. Text needs no escaping here: gonum
// escapes it, so a quote cannot end an attribute early.
func (s *svgStyles) inline(f figure) (template.HTML, error) {
	var b bytes.Buffer
	if err := f.render(&b, "svg"); err != nil {
		return "", err
	}
	svg := b.String()
	i := strings.Index(svg, "<svg")
	if i < 0 {
		return "", fmt.Errorf("report: the plot library wrote no <svg> element")
	}
	if s.class == nil {
		s.class = map[string]string{}
	}
	svg = styleAttr.ReplaceAllStringFunc(svg[i:], func(attr string) string {
		style := styleAttr.FindStringSubmatch(attr)[1]
		name, ok := s.class[style]
		if !ok {
			name = "g" + strconv.Itoa(len(s.order))
			s.class[style] = name
			s.order = append(s.order, style)
		}
		return ` class="` + name + `"`
	})
	return template.HTML(svg), nil
}

// css declares the classes inline used. gonum names only the font it
// measured text with; a browser without it gets a similar one.
func (s *svgStyles) css() template.CSS {
	var b strings.Builder
	for _, style := range s.order {
		decl := strings.ReplaceAll(style, "font-family:Liberation Sans;", `font-family:"Liberation Sans",Arial,Helvetica,sans-serif;`)
		fmt.Fprintf(&b, "svg .%s{%s}\n", s.class[style], decl)
	}
	return template.CSS(b.String())
}
