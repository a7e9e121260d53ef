package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// sweep version and sweep --version print the same six facts, one
// "name value" a line, in this order.
func TestVersion(t *testing.T) {
	dir := t.TempDir()
	want := []struct{ name, value string }{
		{"sweep", ""}, // module version: (devel) unless built from a tagged module
		{"revision", ""},
		{"numerics", strconv.Itoa(train.AlgorithmVersion)},
		{"schema", strconv.Itoa(store.SchemaVersion)},
		{"kernel", train.DefaultKernel()},
		{"kernels", strings.Join(train.Kernels(), " ")},
	}
	var outputs []string
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := mustSweep(t, dir, args...)
		if r.stderr != "" {
			t.Errorf("sweep %s wrote to stderr: %q", args[0], r.stderr)
		}
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if len(lines) != len(want) || !strings.HasSuffix(r.stdout, "\n") {
			t.Fatalf("sweep %s printed %d lines, want %d:\n%s", args[0], len(lines), len(want), r.stdout)
		}
		for i, w := range want {
			name, value, ok := strings.Cut(lines[i], " ")
			if !ok || name != w.name || value == "" || strings.Contains(value, "\t") {
				t.Errorf("sweep %s line %d = %q, want %q and a value", args[0], i+1, lines[i], w.name)
			}
			if w.value != "" && value != w.value {
				t.Errorf("sweep %s: %s is %q, want %q", args[0], name, value, w.value)
			}
		}
		outputs = append(outputs, r.stdout)
	}
	if outputs[0] != outputs[1] {
		t.Errorf("sweep version and sweep --version differ:\n%s\n%s", outputs[0], outputs[1])
	}
}

// Without build information (go run, go test) the version lines still say
// something a person can act on.
func TestVersionTextWithoutBuildInfo(t *testing.T) {
	text := versionText()
	// A test binary has no module version and, here, no VCS stamp.
	for _, line := range []string{"sweep (devel)\n", "numerics " + strconv.Itoa(train.AlgorithmVersion) + "\n"} {
		if !strings.Contains(text, line) {
			t.Errorf("version text lacks %q:\n%s", line, text)
		}
	}
}
