package data

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// fileRef is one input file: where it is shown as coming from and how to
// read it.
type fileRef struct {
	path string // absolute path or "embedded:NAME"
	read func(ctx context.Context) ([]byte, error)
}

func diskFile(path string) fileRef {
	return fileRef{path: path, read: func(ctx context.Context) ([]byte, error) { return readFile(ctx, path) }}
}

// readChunk is how much readFile reads between checks of its context.
const readChunk = 1 << 20

// readFile is os.ReadFile that stops when ctx is done: it checks ctx
// between chunks, and a read blocked on a pipe (data streamed in through a
// named pipe) ends at once, through a read deadline set on cancellation.
func readFile(ctx context.Context, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Regular files have no deadlines; their reads do not block for long.
	defer context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Now()) })()
	size := 0
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = int(fi.Size())
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		_, err := io.CopyN(buf, f, readChunk)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		switch {
		case err == io.EOF:
			return buf.Bytes(), nil
		case err != nil:
			return nil, err
		}
	}
}

// load reads the file whole (the parsers want random access and the files
// are at most a few tens of MB) and hashes it. When ctx ends first, the
// error is ctx's, unwrapped, so callers see an interruption, not bad data.
func (f fileRef) load(ctx context.Context, role string) ([]byte, FileHash, error) {
	b, err := f.read(ctx)
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, FileHash{}, ctxErr
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, FileHash{}, &Error{Path: f.path, Kind: ErrNotFound, Msg: "file not found", Err: err}
		}
		return nil, FileHash{}, &Error{Path: f.path, Kind: ErrRead, Msg: "read: " + oneLine(unwrapPathErr(err).Error()), Err: err}
	}
	sum := sha256.Sum256(b)
	return b, FileHash{Path: f.path, Role: role, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])}, nil
}

// unwrapPathErr drops the "open PATH:" prefix our message already carries.
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// unit is what one entry of Spec.Train, Test or Validation.Files loads: a
// CIFAR batch file or an IDX images/labels pair.
type unit interface {
	load(ctx context.Context, role string) (Split, []FileHash, error)
}

type cifarUnit struct {
	file   fileRef
	binary bool
}

func (u cifarUnit) load(ctx context.Context, role string) (Split, []FileHash, error) {
	b, h, err := u.file.load(ctx, role)
	if err != nil {
		return Split{}, nil, err
	}
	parse := parseCIFARPickle
	if u.binary {
		parse = parseCIFARBinary
	}
	s, err := parse(b)
	if err != nil {
		return Split{}, nil, withPath(err, u.file.path)
	}
	return s, []FileHash{h}, nil
}

type idxUnit struct {
	images, labels fileRef
}

func (u idxUnit) load(ctx context.Context, role string) (Split, []FileHash, error) {
	ib, ih, err := u.images.load(ctx, role)
	if err != nil {
		return Split{}, nil, err
	}
	pixels, n, _, err := parseIDXImages(ib)
	if err != nil {
		return Split{}, nil, withPath(err, u.images.path)
	}
	lb, lh, err := u.labels.load(ctx, role)
	if err != nil {
		return Split{}, nil, err
	}
	labels, err := parseIDXLabels(lb, numClasses)
	if err != nil {
		return Split{}, nil, withPath(err, u.labels.path)
	}
	if len(labels) != n {
		return Split{}, nil, &Error{Path: u.labels.path, Kind: ErrFormat, Msg: fmt.Sprintf("%d labels, but %s has %d images", len(labels), u.images.path, n)}
	}
	return Split{Pixels: pixels, Labels: labels, N: n}, []FileHash{ih, lh}, nil
}

// loadPlan is a Spec resolved to concrete files.
type loadPlan struct {
	source, format   string
	train, val, test []unit
	holdout          int
}

func plan(spec Spec) (*loadPlan, error) {
	var (
		p   *loadPlan
		err error
	)
	switch spec.Source {
	case SourceEmbedded, "":
		p, err = planEmbedded(spec)
	case SourceCIFAR10:
		p, err = planCIFAR(spec)
	case SourceIDX:
		p, err = planIDX(spec)
	default:
		return nil, specErr(fmt.Sprintf("unknown source %q (want %s, %s or %s)", spec.Source, SourceCIFAR10, SourceIDX, SourceEmbedded))
	}
	if err != nil {
		return nil, err
	}
	if len(p.train) == 0 {
		return nil, specErr("no training files")
	}
	if len(p.test) == 0 {
		return nil, specErr("no test files")
	}
	p.holdout, err = holdout(spec.Validation, len(p.val) > 0, p.source)
	return p, err
}

// holdout applies the validation rules: files or a holdout, never both, and
// always some validation set because training records its history on it.
func holdout(v Validation, haveFiles bool, source string) (int, error) {
	switch {
	case v.Holdout == nil && haveFiles:
		return 0, nil
	case v.Holdout == nil && source == SourceEmbedded:
		return DefaultEmbeddedHoldout, nil
	case v.Holdout == nil:
		return DefaultHoldout, nil
	case *v.Holdout < 0:
		return 0, specErr(fmt.Sprintf("holdout %d is negative", *v.Holdout))
	case *v.Holdout > 0 && haveFiles:
		return 0, specErr("validation takes either files or a holdout, not both")
	case *v.Holdout == 0 && !haveFiles:
		return 0, specErr("holdout 0 leaves no validation set; give validation files or a positive holdout")
	}
	return *v.Holdout, nil
}

func resolve(dir, name string) string {
	if !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	if abs, err := filepath.Abs(name); err == nil {
		return abs
	}
	return name
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// cifarDir finds the batches directory: dir itself, or its
// cifar-10-batches-py or cifar-10-batches-bin subdirectory (python first,
// the notebook's version, should both be there).
func cifarDir(dir string) (string, error) {
	if dir == "" {
		return "", specErr("cifar10 needs a dir")
	}
	if !isDir(dir) {
		return "", &Error{Path: resolve("", dir), Kind: ErrNotFound, Msg: "directory not found"}
	}
	for _, sub := range []string{"cifar-10-batches-py", "cifar-10-batches-bin"} {
		if d := filepath.Join(dir, sub); isDir(d) {
			return resolve("", d), nil
		}
	}
	return resolve("", dir), nil
}

func planCIFAR(spec Spec) (*loadPlan, error) {
	dir, err := cifarDir(spec.Dir)
	if err != nil {
		return nil, err
	}
	train, test := spec.Train, spec.Test
	named := append(append(append([]string{}, train...), test...), spec.Validation.Files...)
	var binary bool
	switch {
	case len(named) > 0:
		for _, n := range named {
			if strings.HasSuffix(n, ".bin") != strings.HasSuffix(named[0], ".bin") {
				return nil, specErr(fmt.Sprintf("cifar10 files mix the python and binary versions: %q and %q", named[0], n))
			}
		}
		binary = strings.HasSuffix(named[0], ".bin")
	case exists(filepath.Join(dir, "data_batch_1")) || exists(filepath.Join(dir, "test_batch")):
		binary = false
	case exists(filepath.Join(dir, "data_batch_1.bin")) || exists(filepath.Join(dir, "test_batch.bin")):
		binary = true
	default:
		return nil, &Error{Path: dir, Kind: ErrNotFound, Msg: "no CIFAR-10 batches here (want data_batch_1..5 and test_batch, or their .bin versions)"}
	}
	ext := ""
	if binary {
		ext = ".bin"
	}
	if train == nil {
		for i := 1; i <= 5; i++ {
			train = append(train, fmt.Sprintf("data_batch_%d%s", i, ext))
		}
	}
	if test == nil {
		test = []string{"test_batch" + ext}
	}
	units := func(names []string) []unit {
		var us []unit
		for _, n := range names {
			us = append(us, cifarUnit{file: diskFile(resolve(dir, n)), binary: binary})
		}
		return us
	}
	p := &loadPlan{source: SourceCIFAR10, format: FormatCIFARPython, train: units(train), val: units(spec.Validation.Files), test: units(test)}
	if binary {
		p.format = FormatCIFARBinary
	}
	return p, nil
}

// idxFile finds NAME uncompressed or, failing that, gzipped.
func idxFile(dir, name string) fileRef {
	p := resolve(dir, name)
	if !exists(p) && exists(p+".gz") {
		p += ".gz"
	}
	return diskFile(p)
}

func planIDX(spec Spec) (*loadPlan, error) {
	if spec.Dir == "" {
		return nil, specErr("idx needs a dir")
	}
	if !isDir(spec.Dir) {
		return nil, &Error{Path: resolve("", spec.Dir), Kind: ErrNotFound, Msg: "directory not found"}
	}
	train, test := spec.Train, spec.Test
	if train == nil {
		train = []string{"train"}
	}
	if test == nil {
		test = []string{"t10k"}
	}
	units := func(prefixes []string) []unit {
		var us []unit
		for _, pre := range prefixes {
			us = append(us, idxUnit{
				images: idxFile(spec.Dir, pre+"-images-idx3-ubyte"),
				labels: idxFile(spec.Dir, pre+"-labels-idx1-ubyte"),
			})
		}
		return us
	}
	p := &loadPlan{source: SourceIDX, train: units(train), val: units(spec.Validation.Files), test: units(test)}
	p.format = idxFormat(append(append(append([]unit{}, p.train...), p.val...), p.test...))
	return p, nil
}

// idxFormat is "idx.gz" when every file is gzipped (by name; the content
// is sniffed when read), else "idx".
func idxFormat(units []unit) string {
	for _, u := range units {
		iu := u.(idxUnit)
		if !strings.HasSuffix(iu.images.path, ".gz") || !strings.HasSuffix(iu.labels.path, ".gz") {
			return FormatIDX
		}
	}
	return FormatIDXGzip
}
