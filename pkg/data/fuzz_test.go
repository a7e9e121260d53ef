package data

import (
	"os"
	"path/filepath"
	"testing"
)

// The parsers must return an error, never panic or over-allocate, on any
// input; whatever they accept must be self-consistent. Rows are fuzzD
// pixels rather than CIFAR's 3072 to keep inputs small: the fuzzer's
// minimiser is quadratic in input size.
const fuzzD = 4

func FuzzPickle(f *testing.F) {
	p, l := synth(2, fuzzD, 1)
	f.Add(py2Batch(p, l, batchOpts{cols: fuzzD}))
	f.Add(py2Batch(p, l, batchOpts{cols: fuzzD, module: "numpy._core.multiarray", fortran: true}))
	files, _ := filepath.Glob("testdata/fuzzseed-*.pkl") // Python 3, protocols 2-5
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\x80\x02cos\nsystem\nq\x01U\x02idq\x02\x85q\x03Rq\x04."))
	f.Add([]byte("\x80\x04\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x02id\x94\x85\x94R\x94."))
	f.Add([]byte("\x80\x02}(K\x01u."))
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := parsePickleBatch(b, fuzzD); err == nil {
			checkSplit(t, s, fuzzD)
		}
	})
}

func FuzzCIFARBinary(f *testing.F) {
	p, l := synth(2, fuzzD, 1)
	f.Add(cifarBinaryBytes(p, l))
	f.Add(cifarBinaryBytes(p, l)[:fuzzD+2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := parseRecords(b, fuzzD); err == nil {
			checkSplit(t, s, fuzzD)
		}
	})
}

// FuzzIDX feeds the same bytes to both IDX parsers, gzipped or not.
func FuzzIDX(f *testing.F) {
	p, l := synth(3, 16, 1)
	f.Add(idxImagesBytes(p, 3, 4, 4))
	f.Add(gz(idxImagesBytes(p, 3, 4, 4)))
	f.Add(idxLabelsBytes(l))
	f.Add(gz(idxLabelsBytes(l)))
	f.Add(idxImagesBytes(nil, 1<<30, 1<<16, 1<<16))
	f.Fuzz(func(t *testing.T, b []byte) {
		if pix, n, d, err := parseIDXImages(b); err == nil {
			if n <= 0 || d <= 0 || len(pix) != n*d {
				t.Fatalf("accepted images with n=%d d=%d and %d pixels", n, d, len(pix))
			}
		}
		if labels, err := parseIDXLabels(b, numClasses); err == nil {
			checkSplit(t, Split{Labels: labels, N: len(labels)}, 0)
		}
	})
}

func checkSplit(t *testing.T, s Split, d int) {
	t.Helper()
	if s.N <= 0 || len(s.Labels) != s.N || len(s.Pixels) != s.N*d {
		t.Fatalf("accepted N=%d with %d labels and %d pixels", s.N, len(s.Labels), len(s.Pixels))
	}
	for i, l := range s.Labels {
		if l >= numClasses {
			t.Fatalf("accepted label %d at %d", l, i)
		}
	}
}
