package main

import (
	"image"
	_ "image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPlot(t *testing.T) {
	dir := t.TempDir()
	copyTinyDB(t, dir, "tiny.db")
	r := mustSweep(t, dir, "plot", "--top", "2", "-o", "out/plots")
	written := strings.Fields(r.stdout)
	if len(written) != 4 {
		t.Fatalf("wrote %q, want the sweep's two plots and two trials'", written)
	}
	var trials []string
	for _, name := range written {
		base := filepath.Base(name)
		if filepath.Dir(name) != filepath.Join("out", "plots") || filepath.Ext(name) != ".png" {
			t.Errorf("wrote %s, want a PNG in out/plots", name)
		}
		if strings.HasPrefix(base, "trial-") {
			trials = append(trials, strings.TrimSuffix(strings.TrimPrefix(base, "trial-"), ".png"))
		}
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		cfg, format, err := image.DecodeConfig(f)
		f.Close()
		if err != nil || format != "png" || cfg.Width < 800 {
			t.Errorf("%s: %s %dx%d, %v; want a PNG at least 800 wide", name, format, cfg.Width, cfg.Height, err)
		}
	}
	if !slices.Contains(written, filepath.Join("out", "plots", "accuracy-vs-lambda.png")) ||
		!slices.Contains(written, filepath.Join("out", "plots", "top-curves.png")) || len(trials) != 2 {
		t.Fatalf("wrote %q", written)
	}
	if got := listDir(t, filepath.Join(dir, "out", "plots")); len(got) != 4 {
		t.Errorf("out/plots holds %q, want only the 4 plots (no temporary files)", got)
	}

	// Existing files are kept unless --force, and nothing is half written.
	r = sweep(t, dir, "plot", "--top", "3", "-o", "out/plots")
	if line := oneErrorLine(t, r); r.code != 1 || !strings.Contains(line, "already exists; use --force") {
		t.Errorf("plot over existing files: %s", r)
	}
	if got := listDir(t, filepath.Join(dir, "out", "plots")); len(got) != 4 {
		t.Errorf("a refused plot left %q", got)
	}
	mustSweep(t, dir, "plot", "--top", "2", "-o", "out/plots", "--force")

	// One trial by an id prefix, as SVG.
	r = mustSweep(t, dir, "plot", trials[0][:5], "--format", "svg", "-o", "svg")
	want := filepath.Join("svg", "trial-"+trials[0]+".svg")
	if strings.TrimSpace(r.stdout) != want {
		t.Errorf("wrote %q, want %s", r.stdout, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, want))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<svg", "trial " + trials[0], "update step", "accuracy (%)", "learning rate"} {
		if !strings.Contains(string(b), s) {
			t.Errorf("%s lacks %q", want, s)
		}
	}
}

func TestPlotErrors(t *testing.T) {
	dir := t.TempDir()
	copyTinyDB(t, dir, "tiny.db")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"plot", "--format", "jpeg"}, exitUsage, `--format must be png or svg, got "jpeg"`},
		{[]string{"plot", "--top", "0"}, exitUsage, "--top must be at least 1"},
		{[]string{"plot", "ffffffffff"}, exitFailure, `no trial "ffffffffff"`},
		{[]string{"plot", "--db", "missing.db"}, exitFailure, "missing.db"},
	} {
		r := sweep(t, dir, tc.args...)
		if line := oneErrorLine(t, r); r.code != tc.code || !strings.Contains(line, tc.want) {
			t.Errorf("sweep %s: exit %d %q; want exit %d and %q", strings.Join(tc.args, " "), r.code, line, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "plots")); err == nil {
		t.Error("a failed plot created the output directory")
	}
}
