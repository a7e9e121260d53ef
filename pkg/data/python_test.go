package data

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const python = "/usr/bin/python3"

func needNumpy(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import numpy").Run(); err != nil {
		t.Skipf("%s with numpy not available (%v); apt-get install python3-numpy", python, err)
	}
}

// pyCross has Python load the Go-written Python 2 style batch the notebook's
// way, report what it sees, and re-pickle it with protocols 2 to 5 (keys as
// bytes and as str), plus a batch built by numpy itself and a Fortran-order
// one that must be refused.
const pyCross = `
import hashlib, pickle, sys
import numpy as np
src, out = sys.argv[1], sys.argv[2]
with open(src, "rb") as f:
    d = pickle.load(f, encoding="bytes")
a = d[b"data"]
assert a.dtype == np.uint8 and a.shape == (len(d[b"labels"]), 3072), (a.dtype, a.shape)
print(int(a.astype(np.int64).sum()), hashlib.sha256(a.tobytes()).hexdigest())
print(" ".join(map(str, d[b"labels"])))
strkeys = {k.decode(): v for k, v in d.items()}
for proto in (2, 3, 4, 5):
    for name, obj in (("bytes", d), ("str", strkeys)):
        with open("%s/re-%d-%s" % (out, proto, name), "wb") as f:
            pickle.dump(obj, f, protocol=proto)
rng = np.random.default_rng(7)
nd = rng.integers(0, 256, size=(9, 3072), dtype=np.uint8)
nl = [int(x) for x in rng.integers(0, 10, size=9)]
with open(out + "/native.raw", "wb") as f:
    f.write(bytes(nl) + nd.tobytes())
for proto in (2, 3, 4, 5):
    with open("%s/native-%d" % (out, proto), "wb") as f:
        pickle.dump({"data": nd, "labels": nl}, f, protocol=proto)
with open(out + "/fortran", "wb") as f:
    pickle.dump({"data": np.asfortranarray(nd), "labels": nl}, f, protocol=2)
`

func TestPythonCrossCheck(t *testing.T) {
	needNumpy(t)
	dir := t.TempDir()
	p, l := synth(20, cifarD, 4)
	src := filepath.Join(dir, "py2batch")
	writeFile(t, src, py2Batch(p, l, batchOpts{}))
	out, err := exec.Command(python, "-c", pyCross, src, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}

	// (b) Python reads the Go fixture as Go wrote it.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var sum int
	for _, x := range p {
		sum += int(x)
	}
	var ls []string
	for _, x := range l {
		ls = append(ls, fmt.Sprint(x))
	}
	want := fmt.Sprintf("%d %x", sum, sha256sum(p))
	if len(lines) != 2 || lines[0] != want || lines[1] != strings.Join(ls, " ") {
		t.Fatalf("python saw %q, want %q and labels %v", lines, want, ls)
	}

	// (a) Go reads Python 3's re-pickles and numpy's own batches.
	for proto := 2; proto <= 5; proto++ {
		for _, keys := range []string{"bytes", "str"} {
			s := loadPickleFile(t, filepath.Join(dir, fmt.Sprintf("re-%d-%s", proto, keys)))
			sameSplit(t, fmt.Sprintf("re-pickle protocol %d, %s keys", proto, keys), s, Split{Pixels: p, Labels: l, N: 20})
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "native.raw"))
	if err != nil {
		t.Fatal(err)
	}
	native := Split{Labels: raw[:9], Pixels: raw[9:], N: 9}
	for proto := 2; proto <= 5; proto++ {
		sameSplit(t, fmt.Sprintf("numpy protocol %d", proto), loadPickleFile(t, filepath.Join(dir, fmt.Sprintf("native-%d", proto))), native)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "fortran"))
	if _, err := parseCIFARPickle(b); err == nil || !strings.Contains(err.Error(), "Fortran") {
		t.Errorf("Fortran-order array: got %v, want a refusal", err)
	}
}

func loadPickleFile(t *testing.T, path string) Split {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := parseCIFARPickle(b)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	return s
}

// The committed py3 fixtures are what scripts/py3-pickle-fixtures.py writes.
func TestPy3FixturesUpToDate(t *testing.T) {
	needNumpy(t)
	root := t.TempDir()
	out := filepath.Join(root, "pkg/data/testdata")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, filepath.Join(mustAbs(t, "../../scripts"), "py3-pickle-fixtures.py"))
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.pkl"))
	for _, f := range files {
		got, _ := os.ReadFile(f)
		want, err := os.ReadFile(filepath.Join("testdata", filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from a fresh run of the script (%v)", filepath.Base(f), err)
		}
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
