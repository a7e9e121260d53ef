package data

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadCIFAR(t *testing.T) {
	for _, c := range []struct {
		name, sub, format string
		binary            bool
	}{
		{"python dir", "", FormatCIFARPython, false},
		{"binary dir", "", FormatCIFARBinary, true},
		{"python parent", "cifar-10-batches-py", FormatCIFARPython, false},
		{"binary parent", "cifar-10-batches-bin", FormatCIFARBinary, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			f := writeCIFAR(t, filepath.Join(root, c.sub), c.binary, 20)
			ds, err := Load(t.Context(), Spec{Source: SourceCIFAR10, Dir: root, Validation: Validation{Holdout: intp(15)}})
			if err != nil {
				t.Fatal(err)
			}
			if ds.Format != c.format || ds.D != cifarD || ds.K != 10 || ds.Holdout != 15 {
				t.Errorf("format %s D %d K %d holdout %d", ds.Format, ds.D, ds.K, ds.Holdout)
			}
			sameSplit(t, "train", ds.Train, sub(f.train, cifarD, 0, 85))
			sameSplit(t, "val", ds.Val, sub(f.train, cifarD, 85, 100))
			sameSplit(t, "test", ds.Test, f.test)
			if len(ds.Files) != 6 || ds.Files[5].Role != RoleTest || ds.Files[0].Role != RoleTrain ||
				!strings.HasSuffix(ds.Files[2].Path, "data_batch_3"+map[bool]string{true: ".bin"}[c.binary]) ||
				!filepath.IsAbs(ds.Files[0].Path) {
				t.Errorf("files: %+v", ds.Files)
			}
		})
	}
}

func TestLoadIDX(t *testing.T) {
	for _, compress := range []bool{false, true} {
		dir := t.TempDir()
		f := writeIDX(t, dir, compress, 50, 12)
		ds, err := Load(t.Context(), Spec{Source: SourceIDX, Dir: dir, Validation: Validation{Holdout: intp(10)}})
		if err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{false: FormatIDX, true: FormatIDXGzip}[compress]
		if ds.Format != want || ds.D != 784 || len(ds.Files) != 4 {
			t.Errorf("gz=%v: format %s D %d files %d", compress, ds.Format, ds.D, len(ds.Files))
		}
		sameSplit(t, "train", ds.Train, sub(f.train, 784, 0, 40))
		sameSplit(t, "val", ds.Val, sub(f.train, 784, 40, 50))
		sameSplit(t, "test", ds.Test, f.test)
	}
}

func TestValidationFiles(t *testing.T) {
	dir := t.TempDir()
	f := writeCIFAR(t, dir, false, 10)
	ds, err := Load(t.Context(), Spec{Source: SourceCIFAR10, Dir: dir,
		Train:      []string{"data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4"},
		Validation: Validation{Files: []string{"data_batch_5"}}})
	if err != nil {
		t.Fatal(err)
	}
	sameSplit(t, "train", ds.Train, sub(f.train, cifarD, 0, 40))
	sameSplit(t, "val", ds.Val, sub(f.train, cifarD, 40, 50))
	roles := []string{}
	for _, fh := range ds.Files {
		roles = append(roles, fh.Role)
	}
	if ds.Holdout != 0 || !slices.Equal(roles, []string{"train", "train", "train", "train", "val", "test"}) {
		t.Errorf("holdout %d roles %v", ds.Holdout, roles)
	}
}

// The holdout is a view of the training array; appending to Train must not
// reach into Val.
func TestHoldoutSharesArray(t *testing.T) {
	dir := t.TempDir()
	writeIDX(t, dir, false, 30, 5)
	ds, err := Load(t.Context(), Spec{Source: SourceIDX, Dir: dir, Validation: Validation{Holdout: intp(10)}})
	if err != nil {
		t.Fatal(err)
	}
	if &ds.Train.Pixels[:cap(ds.Train.Pixels)][0] != &ds.Train.Pixels[0] || cap(ds.Train.Pixels) != len(ds.Train.Pixels) {
		t.Error("train capacity not clipped")
	}
	before := ds.Val.Pixels[0]
	_ = append(ds.Train.Pixels, before+1)
	if ds.Val.Pixels[0] != before {
		t.Error("append to Train overwrote Val")
	}
}

func TestHoldoutRules(t *testing.T) {
	dir := t.TempDir()
	writeIDX(t, dir, false, 30, 5)
	cases := []struct {
		name    string
		v       Validation
		holdout int
		err     string
	}{
		{"default", Validation{}, 0, "holdout of 5000 examples leaves nothing to train on: the training files hold 30"},
		{"explicit", Validation{Holdout: intp(7)}, 7, ""},
		{"zero without files", Validation{Holdout: intp(0)}, 0, "holdout 0 leaves no validation set"},
		{"negative", Validation{Holdout: intp(-1)}, 0, "negative"},
		{"all of it", Validation{Holdout: intp(30)}, 0, "leaves nothing to train on"},
		{"files", Validation{Files: []string{"t10k"}}, 0, ""},
		{"files and zero", Validation{Files: []string{"t10k"}, Holdout: intp(0)}, 0, ""},
		{"files and holdout", Validation{Files: []string{"t10k"}, Holdout: intp(3)}, 0, "not both"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds, err := Load(t.Context(), Spec{Source: SourceIDX, Dir: dir, Validation: c.v})
			if c.err != "" {
				if !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, want ErrSpec with %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ds.Holdout != c.holdout || ds.Val.N == 0 || ds.Train.N+ds.Holdout != 30 {
				t.Errorf("holdout %d, train %d, val %d", ds.Holdout, ds.Train.N, ds.Val.N)
			}
		})
	}
}

func TestSpecErrors(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR(t, dir, false, 2)
	cases := []struct {
		spec Spec
		kind error
		want string
	}{
		{Spec{Source: "mnist"}, ErrSpec, `unknown source "mnist"`},
		{Spec{Source: SourceCIFAR10}, ErrSpec, "needs a dir"},
		{Spec{Source: SourceIDX}, ErrSpec, "needs a dir"},
		{Spec{Source: SourceCIFAR10, Dir: filepath.Join(dir, "nope")}, ErrNotFound, "directory not found"},
		{Spec{Source: SourceIDX, Dir: filepath.Join(dir, "nope")}, ErrNotFound, "directory not found"},
		{Spec{Source: SourceCIFAR10, Dir: t.TempDir()}, ErrNotFound, "no CIFAR-10 batches"},
		{Spec{Source: SourceCIFAR10, Dir: dir, Train: []string{"data_batch_1"}, Test: []string{"test_batch.bin"}}, ErrSpec, "mix"},
		{Spec{Source: SourceEmbedded, Dir: dir}, ErrSpec, "takes no dir"},
		{Spec{Source: SourceCIFAR10, Dir: dir, Train: []string{}}, ErrSpec, "no training files"},
	}
	for _, c := range cases {
		_, err := Load(t.Context(), c.spec)
		if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "data: ") {
			t.Errorf("%+v: got %v, want %v with %q", c.spec, err, c.kind, c.want)
		}
	}
}

// Every kind of bad file names the file and what is wrong, in one line.
func TestBadFiles(t *testing.T) {
	p, l := synth(3, cifarD, 1)
	ip, _ := synth(3, 784, 1)
	img := idxImagesBytes(ip, 3, 28, 28)
	badMagic := append([]byte{}, img...)
	badMagic[3] = 0x02
	badLabel := idxLabelsBytes([]uint8{1, 10, 2})
	cases := []struct {
		name   string
		source string
		file   string // relative name of the file replaced
		data   []byte // nil: delete it
		kind   error
		want   string
	}{
		{"cifar missing", SourceCIFAR10, "data_batch_3", nil, ErrNotFound, "file not found"},
		{"cifar empty", SourceCIFAR10, "data_batch_3", []byte{}, ErrFormat, "empty file"},
		{"cifar not a dict", SourceCIFAR10, "data_batch_3", []byte("\x80\x02K\x01."), ErrFormat, "holds a int, not a dict"},
		{"cifar wrong dtype", SourceCIFAR10, "test_batch", py2Batch(p, l, batchOpts{dtype: "i8"}), ErrFormat, "dtype |i8"},
		{"cifar unsafe", SourceCIFAR10, "data_batch_1", []byte("\x80\x02cos\nsystem\n."), ErrUnsafePickle, "os"},
		{"bin truncated", SourceCIFAR10, "data_batch_3.bin", cifarBinaryBytes(p, l)[:2*(1+cifarD)+5], ErrFormat, "truncated: 6151 bytes is not a whole number of 3073-byte records"},
		{"bin empty", SourceCIFAR10, "data_batch_3.bin", []byte{}, ErrFormat, "empty file"},
		{"bin label", SourceCIFAR10, "test_batch.bin", append([]byte{11}, make([]byte, cifarD)...), ErrFormat, "label 11 of record 0 is out of range [0,10)"},
		{"bin missing", SourceCIFAR10, "test_batch.bin", nil, ErrNotFound, "file not found"},
		{"idx missing", SourceIDX, "t10k-labels-idx1-ubyte", nil, ErrNotFound, "file not found"},
		{"idx magic", SourceIDX, "train-images-idx3-ubyte", badMagic, ErrFormat, "wrong magic 0x00000802"},
		{"idx labels magic", SourceIDX, "train-labels-idx1-ubyte", img, ErrFormat, "wrong magic 0x00000803"},
		{"idx truncated", SourceIDX, "train-images-idx3-ubyte", img[:len(img)-1], ErrFormat, "header says 3×28×28 = 2352 pixel bytes, file has 2351"},
		{"idx short header", SourceIDX, "train-images-idx3-ubyte", img[:10], ErrFormat, "shorter than the 16-byte"},
		{"idx empty", SourceIDX, "train-images-idx3-ubyte", []byte{}, ErrFormat, "truncated: 0 bytes"},
		{"idx zero images", SourceIDX, "train-images-idx3-ubyte", idxImagesBytes(nil, 0, 28, 28), ErrFormat, "empty"},
		{"idx label range", SourceIDX, "t10k-labels-idx1-ubyte", badLabel, ErrFormat, "label 10 of example 1"},
		{"idx count mismatch", SourceIDX, "train-labels-idx1-ubyte", idxLabelsBytes([]uint8{1, 2}), ErrFormat, "2 labels, but"},
		{"idx bad gzip", SourceIDX, "train-images-idx3-ubyte", gz(img)[:30], ErrFormat, "gzip"},
		{"idx dims", SourceIDX, "t10k-images-idx3-ubyte", idxImagesBytes(make([]byte, 5*392), 5, 14, 28), ErrFormat, "392 features per example, other files have 784"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.source == SourceIDX {
				writeIDX(t, dir, false, 30, 5)
			} else {
				writeCIFAR(t, dir, strings.HasSuffix(c.file, ".bin"), 3)
			}
			path := filepath.Join(dir, c.file)
			if c.data == nil {
				os.Remove(path)
			} else {
				writeFile(t, path, c.data)
			}
			_, err := Load(t.Context(), Spec{Source: c.source, Dir: dir, Validation: Validation{Holdout: intp(1)}})
			if !errors.Is(err, c.kind) {
				t.Fatalf("got %v, want %v", err, c.kind)
			}
			var e *Error
			if !errors.As(err, &e) || e.Path != path {
				t.Errorf("error %v does not name %s", err, path)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "data: "+path+": ") || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
				t.Errorf("message %q: want one line %q... containing %q", msg, "data: "+path+": ", c.want)
			}
		})
	}
}

func TestStats(t *testing.T) {
	const n, d = 37, 50
	pix, _ := synth(n, d, 9)
	for i := range n {
		pix[i*d+7] = 42 // a constant feature
	}
	mean, std := Stats(Split{Pixels: pix, N: n}, d)
	for j := range d {
		var m, v float64
		for i := range n {
			m += float64(pix[i*d+j])
		}
		m /= n
		for i := range n {
			x := float64(pix[i*d+j]) - m
			v += x * x
		}
		s := math.Sqrt(v / n)
		if j == 7 {
			if mean[j] != 42 || std[j] != 1 {
				t.Errorf("constant feature: mean %v std %v, want 42 and 1 (guard)", mean[j], std[j])
			}
			continue
		}
		if math.Abs(mean[j]-m) > 1e-12*m || math.Abs(std[j]-s) > 1e-12*s {
			t.Errorf("feature %d: got %v±%v, want %v±%v", j, mean[j], std[j], m, s)
		}
	}
}

// Statistics come from the training split alone, after the holdout.
func TestStatsTrainingOnly(t *testing.T) {
	dir := t.TempDir()
	f := writeIDX(t, dir, false, 40, 5)
	ds, err := Load(t.Context(), Spec{Source: SourceIDX, Dir: dir, Validation: Validation{Holdout: intp(10)}})
	if err != nil {
		t.Fatal(err)
	}
	wantMean, wantStd := Stats(sub(f.train, 784, 0, 30), 784)
	allMean, _ := Stats(f.train, 784)
	if !slices.Equal(ds.Mean, wantMean) || !slices.Equal(ds.Std, wantStd) || slices.Equal(ds.Mean, allMean) {
		t.Error("Mean/Std are not the statistics of the training split alone")
	}
}

func TestFingerprint(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR(t, dir, true, 4)
	load := func(dir string, holdout int) *Dataset {
		t.Helper()
		ds, err := Load(t.Context(), Spec{Source: SourceCIFAR10, Dir: dir, Validation: Validation{Holdout: intp(holdout)}})
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	a, b := load(dir, 3), load(dir, 3)
	if a.Fingerprint != b.Fingerprint || len(a.Fingerprint) != 64 {
		t.Fatalf("unstable fingerprint %s vs %s", a.Fingerprint, b.Fingerprint)
	}
	if a.ChangedFiles(b.Files) != nil {
		t.Errorf("ChangedFiles on identical data: %v", a.ChangedFiles(b.Files))
	}
	if load(dir, 4).Fingerprint == a.Fingerprint {
		t.Error("fingerprint ignores the holdout")
	}
	// Moving the files keeps the fingerprint.
	moved := filepath.Join(t.TempDir(), "cifar-10-batches-bin")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	if load(filepath.Dir(moved), 3).Fingerprint != a.Fingerprint {
		t.Error("fingerprint depends on the location")
	}
	// One changed pixel byte changes it and ChangedFiles names the file.
	path := filepath.Join(moved, "data_batch_4.bin")
	bs, _ := os.ReadFile(path)
	bs[100]++
	writeFile(t, path, bs)
	old := load(moved, 3)
	before := old.Files
	bs[100]--
	writeFile(t, path, bs)
	c := load(moved, 3)
	if c.Fingerprint == old.Fingerprint {
		t.Error("fingerprint ignores file content")
	}
	if got := c.ChangedFiles(before); !slices.Equal(got, []string{path}) {
		t.Errorf("ChangedFiles = %v, want [%s]", got, path)
	}
	// Files gone or new are named too.
	if got := c.ChangedFiles(a.Files); len(got) != 12 {
		t.Errorf("after a move every path differs; ChangedFiles = %v", got)
	}
}

func TestEmbedded(t *testing.T) {
	ds, err := Load(t.Context(), Spec{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Source != SourceEmbedded || ds.D != 784 || ds.Train.N != 9000 || ds.Val.N != 1000 || ds.Test.N != 2000 {
		t.Fatalf("source %s D %d sizes %d/%d/%d", ds.Source, ds.D, ds.Train.N, ds.Val.N, ds.Test.N)
	}
	for name, s := range map[string]Split{"train": ds.Train, "val": ds.Val, "test": ds.Test} {
		var seen [numClasses]int
		for _, l := range s.Labels {
			seen[l]++ // an out-of-range label panics here
		}
		for k, c := range seen {
			if c == 0 {
				t.Errorf("%s: class %d missing", name, k)
			}
		}
		if len(s.Pixels) != s.N*784 || len(s.Labels) != s.N {
			t.Errorf("%s: %d pixels, %d labels for N=%d", name, len(s.Pixels), len(s.Labels), s.N)
		}
	}
	if ds.Files[0].Path != "embedded:train-images-idx3-ubyte.gz" || ds.Files[0].Size < 1e6 {
		t.Errorf("files: %+v", ds.Files)
	}
}

// The real Fashion-MNIST from Debian's dataset-fashion-mnist, when present.
func TestFashionMNIST(t *testing.T) {
	const dir = "/usr/share/datasets/fashion-mnist"
	if _, err := os.Stat(filepath.Join(dir, "train-images-idx3-ubyte.gz")); err != nil {
		t.Skip("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
	}
	start := time.Now()
	ds, err := Load(t.Context(), Spec{Source: SourceIDX, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded in %v", time.Since(start))
	if ds.D != 784 || ds.Train.N != 55000 || ds.Val.N != 5000 || ds.Test.N != 10000 || ds.Format != FormatIDXGzip {
		t.Errorf("D %d sizes %d/%d/%d format %s", ds.D, ds.Train.N, ds.Val.N, ds.Test.N, ds.Format)
	}
	// The embedded set is this file's prefix.
	emb, err := Load(t.Context(), Spec{Validation: Validation{Holdout: intp(1)}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(emb.Train.Pixels, ds.Train.Pixels[:9999*784]) || !slices.Equal(emb.Test.Labels, ds.Test.Labels[:2000]) {
		t.Error("embedded data is not the first examples of Fashion-MNIST")
	}
}
