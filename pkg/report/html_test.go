package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"github.com/sweep-ml/sweep/pkg/store"
)

func writeHTML(t *testing.T, db *store.DB, opts HTMLOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(t.Context(), &b, db, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// parseHTML parses page as a browser would and returns its elements by tag.
func parseHTML(t *testing.T, page string) map[string][]*html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	byTag := map[string][]*html.Node{}
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode {
			byTag[n.Data] = append(byTag[n.Data], n)
		}
	}
	return byTag
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func TestWriteHTML(t *testing.T) {
	page := writeHTML(t, twoStages.build(t), HTMLOptions{Top: 3})
	els := parseHTML(t, page)

	// One body per trial, pending ones included, best first; the done and
	// diverged ones unfold to their curves.
	var ids []string
	expandable := 0
	for _, tr := range els["tr"] {
		class, _ := attr(tr, "class")
		if !strings.HasPrefix(class, "trial") {
			continue
		}
		id, _ := attr(tr, "data-id")
		ids = append(ids, ShortID(id))
		if strings.Contains(class, "expandable") {
			expandable++
		}
	}
	if got, want := strings.Join(ids, " "), "0100abab 0001abab 0101abab 0000abab 0002abab 0102abab 0103abab"; got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
	if len(els["tbody"]) != 7 || expandable != 6 {
		t.Errorf("%d row groups, %d expandable; want 7 and 6", len(els["tbody"]), expandable)
	}
	// Sweep plots, then one per expandable trial.
	if got := len(els["svg"]); got != 2+6 {
		t.Errorf("%d SVGs, want 8", got)
	}
	for _, want := range []string{
		"<title>sweep demo</title>", "fp-012345678", "7 trials: 5 done, 1 diverged, 1 pending",
		"coarse: grid 3", "(3 trials: 3 done)", "fine: random 4", "(4 trials: 2 done, 1 diverged, 1 pending)",
		`data-v="0.0005">5.00e-04</td>`, `data-v="0.865">86.50%</td>`, `data-v="">-</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if len(els["script"]) != 1 {
		t.Errorf("%d scripts, want the one inline", len(els["script"]))
	}
}

// Nothing may be fetched: no scripts, styles, fonts or images from a URL.
func TestWriteHTMLSelfContained(t *testing.T) {
	page := writeHTML(t, twoStages.build(t), HTMLOptions{})
	els := parseHTML(t, page)
	for tag, nodes := range els {
		for _, n := range nodes {
			for _, a := range n.Attr {
				switch a.Key {
				case "src", "href", "xlink:href", "data", "srcset", "poster", "action":
					t.Errorf("<%s %s=%q>: the page refers to a resource", tag, a.Key, a.Val)
				}
			}
			if _, ok := attr(n, "src"); tag == "script" && ok {
				t.Error("script with src")
			}
		}
	}
	if len(els["link"]) > 0 || len(els["img"]) > 0 || len(els["iframe"]) > 0 {
		t.Error("page has link, img or iframe elements")
	}
	if m := regexp.MustCompile(`(?i)url\(|@import|(src|href)\s*=\s*["']?(https?:)?//`).FindString(page); m != "" {
		t.Errorf("page refers to an external resource: %q", m)
	}
}

func TestWriteHTMLEscapes(t *testing.T) {
	const evilStage = `<script>alert("stage")</script>`
	const evilParam = `<img src=x onerror=alert(1)>`
	db := plotSweep{name: `"><b>sweep</b>`, stages: []plotStage{
		{name: evilStage, spec: `{"sampler":"grid","trials":2}`, derived: `{}`, trials: []plotTrial{
			{1e-3, 0.8, store.Done, map[string]float64{evilParam: 3}}, {1e-2, 0.7, store.Done, nil},
		}},
	}}.build(t)
	page := writeHTML(t, db, HTMLOptions{})
	for _, raw := range []string{evilStage, evilParam, "<b>sweep</b>", `alert("stage")`} {
		if strings.Contains(page, raw) {
			t.Errorf("page contains %q unescaped", raw)
		}
	}
	els := parseHTML(t, page)
	if len(els["script"]) != 1 || len(els["img"]) != 0 || len(els["b"]) != 0 {
		t.Errorf("injected elements parsed: %d scripts, %d img, %d b", len(els["script"]), len(els["img"]), len(els["b"]))
	}
	// The names are still there, as text.
	var texts []string
	for _, n := range append(els["td"], els["th"]...) {
		for c := range n.Descendants() {
			if c.Type == html.TextNode {
				texts = append(texts, c.Data)
			}
		}
	}
	if !slices.Contains(texts, evilStage) || !slices.Contains(texts, evilParam) {
		t.Errorf("stage and parameter names are not shown as text in the table")
	}
}

func TestWriteHTMLWithoutResults(t *testing.T) {
	db := plotSweep{name: "new", stages: []plotStage{{name: "s", spec: `{}`, derived: `{}`,
		trials: []plotTrial{{1e-3, 0, store.Pending, nil}}}}}.build(t)
	page := writeHTML(t, db, HTMLOptions{})
	if !strings.Contains(page, "no trial with a validation accuracy to plot") || strings.Contains(page, "<svg") {
		t.Errorf("a sweep without results should say so instead of plotting")
	}
}

// TrialPlots caps the per-trial curves, which dominate the file size.
func TestWriteHTMLTrialPlots(t *testing.T) {
	db := twoStages.build(t)
	page := writeHTML(t, db, HTMLOptions{TrialPlots: 2})
	if got := strings.Count(page, `class="curves"`); got != 2 {
		t.Errorf("%d trials with curves, want 2", got)
	}
	if !strings.Contains(page, "drawn for the 2 best finished trials") {
		t.Error("the page does not say that only some trials have curves")
	}
}

// TestHTMLInBrowser loads the report into headless Chromium, sorts the
// ranking by clicking headers and unfolds a trial, as a reader would.
func TestHTMLInBrowser(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("no %s (apt-get install -y chromium to run this test): %v", chromium, err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, []byte(writeHTML(t, twoStages.build(t), HTMLOptions{})), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	// column returns column i's sort values, top to bottom.
	column := func(i int) []string {
		t.Helper()
		js := `Array.from(document.querySelectorAll("#ranking tbody")).map(b => b.rows[0].cells[` + strconv.Itoa(i) + `].dataset.v)`
		vs, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](js))
		if err != nil {
			t.Fatal(err)
		}
		return vs
	}
	click := func(i int) {
		t.Helper()
		sel := `#ranking thead th:nth-child(` + strconv.Itoa(i+1) + `) button`
		if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
			t.Fatal(err)
		}
	}
	numbers := func(vs []string) []float64 {
		var out []float64
		for _, v := range vs {
			if v != "" {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatalf("sort value %q is not a number", v)
				}
				out = append(out, f)
			}
		}
		return out
	}
	// missingLast fails unless the empty values all come at the end.
	missingLast := func(what string, vs []string) {
		t.Helper()
		if i := slices.Index(vs, ""); i >= 0 && slices.ContainsFunc(vs[i:], func(v string) bool { return v != "" }) {
			t.Errorf("%s: missing values not last: %q", what, vs)
		}
	}

	if err := chromedp.Do(bctx, chromedp.Navigate("file://"+path), chromedp.WaitVisible(chromedp.CSS("#ranking"))); err != nil {
		t.Fatal(err)
	}
	const rank, id, lambda, valAcc = 0, 1, 4, 5
	before := column(id)
	click(lambda)
	if got := numbers(column(lambda)); !slices.IsSorted(got) || len(got) != 7 {
		t.Errorf("after one click lambda is %v, want all 7 ascending", got)
	}
	if slices.Equal(column(id), before) {
		t.Error("sorting by lambda did not change the order of the rows")
	}
	click(lambda)
	got := numbers(column(lambda))
	slices.Reverse(got)
	if !slices.IsSorted(got) {
		t.Errorf("after a second click lambda is not descending: %v", column(lambda))
	}
	for _, descending := range []bool{false, true} { // a click each
		click(valAcc)
		vs := column(valAcc)
		missingLast("val acc", vs)
		got := numbers(vs)
		if descending {
			slices.Reverse(got)
		}
		if !slices.IsSorted(got) || len(got) != 6 {
			t.Errorf("val acc (descending %v): %q", descending, vs)
		}
	}
	// Text columns sort too, back to the ranking by "#".
	click(id)
	if ids := column(id); !slices.IsSorted(ids) {
		t.Errorf("ids not sorted: %q", ids)
	}
	click(rank)
	if !slices.Equal(column(id), before) {
		t.Errorf("sorting by # does not restore the ranking")
	}

	// A click on the best trial's row unfolds its curves.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`#ranking tbody:first-of-type tr.trial`))); err != nil {
		t.Fatal(err)
	}
	hidden, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.querySelector("#ranking tbody:first-of-type tr.curves").hidden`))
	if err != nil {
		t.Fatal(err)
	}
	svgs, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#ranking tbody:first-of-type tr.curves svg").length`))
	if err != nil {
		t.Fatal(err)
	}
	if hidden || svgs != 1 {
		t.Errorf("after a click on the row its curves are hidden=%v with %d SVGs", hidden, svgs)
	}
}
