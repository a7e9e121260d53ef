package data

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParsePy2Batch(t *testing.T) {
	for _, module := range []string{"numpy.core.multiarray", "numpy._core.multiarray"} {
		p, l := synth(20, cifarD, 3)
		s, err := parseCIFARPickle(py2Batch(p, l, batchOpts{module: module}))
		if err != nil {
			t.Fatalf("%s: %v", module, err)
		}
		sameSplit(t, module, s, Split{Pixels: p, Labels: l, N: 20})
	}
}

// A full-size batch: 10000 rows, as distributed, so memo indices pass 255
// and the data BINSTRING is 30 MB.
func TestParsePy2BatchFull(t *testing.T) {
	p, l := synth(10000, cifarD, 1)
	b := py2Batch(p, l, batchOpts{})
	if !strings.HasPrefix(string(b), "\x80\x02}q\x01(U\x04dataq\x02cnumpy.core.multiarray\n_reconstruct\nq\x03cnumpy\nndarray\nq\x04K\x00\x85U\x01b\x87Rq\x05(K\x01M\x10'M\x00\x0c\x86cnumpy\ndtype\nq\x06U\x02u1K\x00K\x01\x87Rq\x07(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89T\x00\xc0\xd4\x01") {
		t.Fatalf("fixture header differs from the distributed files': %q", b[:120])
	}
	s, err := parseCIFARPickle(b)
	if err != nil {
		t.Fatal(err)
	}
	sameSplit(t, "full batch", s, Split{Pixels: p, Labels: l, N: 10000})
}

// Python 3 re-pickles of a py2 batch (see scripts/py3-pickle-fixtures.py),
// committed so these formats are checked without Python.
func TestParsePy3Fixtures(t *testing.T) {
	p, l := synth(2, cifarD, 5)
	want := Split{Pixels: p, Labels: l, N: 2}
	files, _ := filepath.Glob("testdata/py3-*.pkl")
	if len(files) != 8 {
		t.Fatalf("want 8 fixtures (protocols 2-5, str and bytes keys), found %d", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := parseCIFARPickle(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		sameSplit(t, f, s, want)
		if strings.Contains(f, "proto5") {
			// numpy 2 spells the module numpy._core.
			b2, err := renameModule(b, "numpy.core.numeric", "numpy._core.numeric")
			if err != nil {
				t.Fatal(err)
			}
			s, err := parseCIFARPickle(b2)
			if err != nil {
				t.Errorf("%s with numpy._core: %v", f, err)
				continue
			}
			sameSplit(t, f+" with numpy._core", s, want)
		}
	}
}

// renameModule replaces one SHORT_BINUNICODE module name inside the first
// frame of a protocol 4/5 pickle, fixing the frame length.
func renameModule(b []byte, from, to string) ([]byte, error) {
	old := append([]byte{0x8c, byte(len(from))}, from...)
	i := strings.Index(string(b), string(old))
	if i < 0 || b[2] != 0x95 {
		return nil, errors.New("module name or frame not found")
	}
	out := append([]byte{}, b[:i]...)
	out = append(out, 0x8c, byte(len(to)))
	out = append(out, to...)
	out = append(out, b[i+len(old):]...)
	size := uint64(out[3]) | uint64(out[4])<<8 | uint64(out[5])<<16 | uint64(out[6])<<24
	size += uint64(len(to) - len(from))
	out[3], out[4], out[5], out[6] = byte(size), byte(size>>8), byte(size>>16), byte(size>>24)
	return out, nil
}

func TestUnsafePickle(t *testing.T) {
	cases := map[string]string{
		"GLOBAL os.system":          "\x80\x02cos\nsystem\nq\x01U\x02idq\x02\x85q\x03Rq\x04.",
		"STACK_GLOBAL posix.system": "\x80\x04\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x02id\x94\x85\x94R\x94.",
		"builtins.eval":             "\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c\x011\x85R.",
		"memo-fetched names":        "\x80\x04\x8c\x05posix\x94\x8c\x06system\x94h\x00h\x01\x93\x8c\x02id\x85R.",
		"INST":                      "\x80\x02(U\x02idios\nsystem\n.",
		"gopickle built-in":         "\x80\x02ccollections\nOrderedDict\n)R.",
		"hidden after a CIFAR dict": "\x80\x02}q\x01(U\x04dataq\x02cos\nsystem\nq\x03u.",
		// names the scanner cannot follow (DUP) are refused, not guessed
		"unverifiable STACK_GLOBAL": "\x80\x04\x8c\x05posix\x8c\x06system2\x30\x93.",
	}
	for name, b := range cases {
		_, err := parseCIFARPickle([]byte(b))
		if !errors.Is(err, ErrUnsafePickle) {
			t.Errorf("%s: got %v, want ErrUnsafePickle", name, err)
			continue
		}
		if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "data: ") {
			t.Errorf("%s: message %q is not one line starting with data:", name, err)
		}
	}
	// The decoder's own hook refuses too, should the scanner ever miss one.
	_, err := unpickle([]byte(cases["GLOBAL os.system"]))
	if !errors.Is(err, ErrUnsafePickle) || !strings.Contains(err.Error(), `"os"."system"`) {
		t.Errorf("decoder hook: got %v", err)
	}
	_, err = unpickle([]byte(cases["STACK_GLOBAL posix.system"]))
	if !errors.Is(err, ErrUnsafePickle) {
		t.Errorf("decoder hook, STACK_GLOBAL: got %v", err)
	}
}

func TestBadPickles(t *testing.T) {
	p, l := synth(4, cifarD, 1)
	ok := func(o batchOpts) []byte { return py2Batch(p, l, o) }
	full := ok(batchOpts{})
	cases := []struct {
		name, data, want string
	}{
		{"empty", "", "empty file"},
		{"not a pickle", "hello world", "unknown opcode"},
		{"truncated", string(full[:len(full)/2]), "past the end"},
		{"no STOP", string(full[:len(full)-1]), "without STOP"},
		{"trailing data", string(full) + "x", "trailing data"},
		{"not a dict", "\x80\x02]q\x01.", "holds a list, not a dict"},
		{"no data key", string(ok(batchOpts{noData: true})), `no "data" key`},
		{"no labels key", string(ok(batchOpts{noLabels: true})), `no "labels" key`},
		{"wrong dtype", string(ok(batchOpts{dtype: "f8"})), "dtype |f8, want uint8"},
		{"wrong shape", string(ok(batchOpts{cols: 1024})), "shape [4 1024]"},
		{"rows vs bytes", string(ok(batchOpts{rows: 5})), "holds 12288 bytes, shape (5, 3072) needs 15360"},
		{"fortran", string(ok(batchOpts{fortran: true})), "Fortran"},
		{"label out of range", string(ok(batchOpts{labels: []int{0, 1, 10, 2}})), "label 2 is 10"},
		{"negative label", string(ok(batchOpts{labels: []int{0, -1, 1, 2}})), "label 1 is -1"},
		{"too few labels", string(ok(batchOpts{labels: []int{0, 1, 2}})), "3 labels for 4 images"},
		{"data not an array", "\x80\x02}(U\x04dataK\x01U\x06labels]u.", `"data" is a int`},
		{"huge length", "\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7f.", "past the end"},
		{"odd SETITEMS", "\x80\x02}(K\x01u.", "malformed pickle"},
		{"opcode 0xff", "\x80\x02\xff.", "unknown opcode"},
		{"empty LONG1", "\x80\x02\x8a\x00.", "0-byte integer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseCIFARPickle([]byte(c.data))
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("got %v, want ErrFormat", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("message %q lacks %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message %q spans lines", err)
			}
		})
	}
}
