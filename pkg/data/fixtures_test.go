package data

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// synth returns n deterministic examples of d pixels: values vary by row and
// column so misplaced rows or bytes show up.
func synth(n, d, seed int) (pixels, labels []uint8) {
	pixels, labels = make([]uint8, n*d), make([]uint8, n)
	for i := range n {
		labels[i] = uint8((i*7 + seed) % numClasses)
		for j := range d {
			pixels[i*d+j] = uint8((i*31 + j*17 + seed*101 + (i*j)%13) % 256)
		}
	}
	return pixels, labels
}

// batchOpts varies a Python 2 CIFAR batch pickle away from the real thing.
type batchOpts struct {
	module     string // of _reconstruct; default numpy.core.multiarray
	dtype      string // default u1
	order      string // default |
	cols       int    // shape[1]; default 3072
	rows       int    // shape[0]; default n
	fortran    bool
	labels     []int // default: the given labels
	noData     bool
	noLabels   bool
	batchLabel string
}

// pickler writes opcodes the way Python 2's cPickle does at protocol 2:
// memo indices from 1, BINPUT then LONG_BINPUT, temporaries not memoized.
type pickler struct {
	bytes.Buffer
	memo int
}

func (w *pickler) put() {
	w.memo++
	if w.memo < 256 {
		w.WriteByte('q')
		w.WriteByte(byte(w.memo))
		return
	}
	w.WriteByte('r')
	binary.Write(w, binary.LittleEndian, uint32(w.memo))
}

func (w *pickler) str(s []byte, memoize bool) {
	if len(s) < 256 {
		w.WriteByte('U')
		w.WriteByte(byte(len(s)))
	} else {
		w.WriteByte('T')
		binary.Write(w, binary.LittleEndian, int32(len(s)))
	}
	w.Write(s)
	if memoize {
		w.put()
	}
}

func (w *pickler) int(v int) {
	switch {
	case v >= 0 && v < 256:
		w.WriteByte('K')
		w.WriteByte(byte(v))
	case v >= 0 && v < 65536:
		w.WriteByte('M')
		binary.Write(w, binary.LittleEndian, uint16(v))
	default:
		w.WriteByte('J')
		binary.Write(w, binary.LittleEndian, int32(v))
	}
}

func (w *pickler) global(module, name string) {
	fmt.Fprintf(w, "c%s\n%s\n", module, name)
	w.put()
}

// list writes a memoized list in APPENDS batches of 1000, as cPickle does.
func (w *pickler) list(n int, item func(i int)) {
	w.WriteByte(']')
	w.put()
	for start := 0; start < n; start += 1000 {
		w.WriteByte('(')
		for i := start; i < min(n, start+1000); i++ {
			item(i)
		}
		w.WriteByte('e')
	}
}

// py2Batch encodes a CIFAR-10 python batch byte for byte as Python 2.7
// cPickle.dump(d, f, 2) writes the distributed files: a dict of data
// (numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), 'b') + BUILD
// (1, (N, 3072), dtype('u1', 0, 1) + BUILD (3, '|', None, None, None, -1,
// -1, 0), False, BINSTRING)), labels, batch_label and filenames.
func py2Batch(pixels, labels []uint8, o batchOpts) []byte {
	n := len(labels)
	if o.module == "" {
		o.module = "numpy.core.multiarray"
	}
	if o.dtype == "" {
		o.dtype = "u1"
	}
	if o.order == "" {
		o.order = "|"
	}
	if o.cols == 0 {
		o.cols = cifarD
	}
	if o.rows == 0 {
		o.rows = n
	}
	if o.labels == nil {
		for _, l := range labels {
			o.labels = append(o.labels, int(l))
		}
	}
	if o.batchLabel == "" {
		o.batchLabel = "training batch 1 of 5"
	}
	w := &pickler{}
	w.WriteString("\x80\x02}")
	w.put()
	w.WriteByte('(')
	if !o.noData {
		w.str([]byte("data"), true)
		w.global(o.module, "_reconstruct")
		w.global("numpy", "ndarray")
		w.int(0)
		w.WriteByte(0x85) // TUPLE1
		w.str([]byte("b"), false)
		w.WriteString("\x87R") // TUPLE3 REDUCE
		w.put()
		w.WriteByte('(')
		w.int(1)
		w.int(o.rows)
		w.int(o.cols)
		w.WriteByte(0x86) // TUPLE2
		w.global("numpy", "dtype")
		w.str([]byte(o.dtype), false)
		w.WriteString("K\x00K\x01\x87R")
		w.put()
		w.WriteByte('(')
		w.int(3)
		w.str([]byte(o.order), false)
		w.WriteString("NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb")
		if o.fortran {
			w.WriteByte(0x88)
		} else {
			w.WriteByte(0x89)
		}
		w.str(pixels, false)
		w.WriteString("tb")
	}
	if !o.noLabels {
		w.str([]byte("labels"), true)
		w.list(len(o.labels), func(i int) { w.int(o.labels[i]) })
	}
	w.str([]byte("batch_label"), true)
	w.str([]byte(o.batchLabel), true)
	w.str([]byte("filenames"), true)
	w.list(n, func(i int) { w.str(fmt.Appendf(nil, "image_%05d.png", i), true) })
	w.WriteString("u.")
	return w.Bytes()
}

// cifarBinaryBytes writes CIFAR-10 binary records (rows of any length).
func cifarBinaryBytes(pixels, labels []uint8) []byte {
	var b bytes.Buffer
	d := len(pixels) / len(labels)
	for i, l := range labels {
		b.WriteByte(l)
		b.Write(pixels[i*d : (i+1)*d])
	}
	return b.Bytes()
}

func idxImagesBytes(pixels []uint8, n, rows, cols int) []byte {
	b := binary.BigEndian.AppendUint32(nil, idxImagesMagic)
	for _, x := range []int{n, rows, cols} {
		b = binary.BigEndian.AppendUint32(b, uint32(x))
	}
	return append(b, pixels...)
}

func idxLabelsBytes(labels []uint8) []byte {
	b := binary.BigEndian.AppendUint32(nil, idxLabelsMagic)
	b = binary.BigEndian.AppendUint32(b, uint32(len(labels)))
	return append(b, labels...)
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fixture is what a written data set directory should load as, before any
// holdout: the training files concatenated, and the test file.
type fixture struct {
	dir         string
	train, test Split
}

// writeCIFAR writes data_batch_1..5 and test_batch (with ".bin" when binary)
// of perBatch examples each into dir.
func writeCIFAR(t testing.TB, dir string, binary bool, perBatch int) fixture {
	t.Helper()
	f := fixture{dir: dir}
	enc := func(p, l []uint8) []byte { return py2Batch(p, l, batchOpts{}) }
	ext := ""
	if binary {
		enc, ext = cifarBinaryBytes, ".bin"
	}
	for b := 1; b <= 6; b++ {
		p, l := synth(perBatch, cifarD, b)
		name := fmt.Sprintf("data_batch_%d%s", b, ext)
		if b == 6 {
			name = "test_batch" + ext
			f.test = Split{Pixels: p, Labels: l, N: perBatch}
		} else {
			f.train.Pixels = append(f.train.Pixels, p...)
			f.train.Labels = append(f.train.Labels, l...)
			f.train.N += perBatch
		}
		writeFile(t, filepath.Join(dir, name), enc(p, l))
	}
	return f
}

// writeIDX writes train-* and t10k-* IDX pairs of 28×28 images.
func writeIDX(t testing.TB, dir string, compress bool, nTrain, nTest int) fixture {
	t.Helper()
	f := fixture{dir: dir}
	for _, part := range []struct {
		prefix string
		n      int
		dst    *Split
	}{{"train", nTrain, &f.train}, {"t10k", nTest, &f.test}} {
		p, l := synth(part.n, 784, len(part.prefix))
		*part.dst = Split{Pixels: p, Labels: l, N: part.n}
		img, lab := idxImagesBytes(p, part.n, 28, 28), idxLabelsBytes(l)
		ext := ""
		if compress {
			img, lab, ext = gz(img), gz(lab), ".gz"
		}
		writeFile(t, filepath.Join(dir, part.prefix+"-images-idx3-ubyte"+ext), img)
		writeFile(t, filepath.Join(dir, part.prefix+"-labels-idx1-ubyte"+ext), lab)
	}
	return f
}

func intp(i int) *int { return &i }

func sameSplit(t *testing.T, what string, got, want Split) {
	t.Helper()
	if got.N != want.N || !bytes.Equal(got.Pixels, want.Pixels) || !bytes.Equal(got.Labels, want.Labels) {
		t.Errorf("%s: got N=%d (%d pixels, %d labels), want N=%d (%d, %d) or contents differ",
			what, got.N, len(got.Pixels), len(got.Labels), want.N, len(want.Pixels), len(want.Labels))
	}
}

// sub returns examples [from, to) of s.
func sub(s Split, d, from, to int) Split {
	return Split{Pixels: s.Pixels[from*d : to*d], Labels: s.Labels[from:to], N: to - from}
}

func sha256sum(b []byte) [32]byte { return sha256.Sum256(b) }
