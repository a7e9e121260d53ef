package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
)

// Sources a Spec can name.
const (
	SourceCIFAR10  = "cifar10"
	SourceIDX      = "idx"
	SourceEmbedded = "embedded"
)

// Formats a Dataset can report.
const (
	FormatCIFARPython = "cifar10-python"
	FormatCIFARBinary = "cifar10-binary"
	FormatIDX         = "idx"
	FormatIDXGzip     = "idx.gz"
)

// Default holdouts: the last N training examples become the validation set
// unless the spec says otherwise.
const (
	DefaultHoldout         = 5000
	DefaultEmbeddedHoldout = 1000
)

// Split is one part of a data set as raw pixels: example i is
// Pixels[i*D : (i+1)*D], its class Labels[i]. Splits are read-only; several
// may share one backing array.
type Split struct {
	Pixels []uint8
	Labels []uint8
	N      int
}

// Roles a file plays in a data set.
const (
	RoleTrain = "train"
	RoleVal   = "val"
	RoleTest  = "test"
)

// FileHash identifies one input file by content.
type FileHash struct {
	Path   string // absolute path, or "embedded:NAME"
	Role   string // RoleTrain, RoleVal or RoleTest
	Size   int64
	SHA256 string // hex
}

// Dataset is a loaded data set ready for training.
type Dataset struct {
	Source string // SourceCIFAR10, SourceIDX or SourceEmbedded
	Format string // FormatCIFARPython, FormatCIFARBinary, FormatIDX or FormatIDXGzip
	D, K   int    // features per example, classes

	Train, Val, Test Split

	// Mean and Std are per feature over the training split (holdout
	// removed), in raw pixel units, Std the population standard deviation
	// with values below MinStd replaced by 1 so constant pixels divide
	// safely.
	Mean, Std []float64

	Holdout     int        // training examples moved to Val; 0 when Val comes from files
	Files       []FileHash // every input file: train, then val, then test, in spec order
	Fingerprint string     // hex SHA-256 identifying the data set; see fingerprint
}

// MinStd is the smallest standard deviation used as is; smaller ones
// (constant features) become 1.
const MinStd = 1e-8

// Validation chooses the validation split: either files, or the last
// Holdout examples of the training files. Holdout nil means the source's
// default when no files are given, and none when they are.
type Validation struct {
	Holdout *int
	Files   []string
}

// Spec says which data to load.
//
// Dir is the directory holding the files. For cifar10 it may be the batches
// directory itself or its parent containing cifar-10-batches-py or
// cifar-10-batches-bin. Train, Test and Validation.Files name files
// relative to Dir (absolute names are used as is); nil means the source's
// defaults. For cifar10 a name is a batch file ("data_batch_1", or
// "data_batch_1.bin" for the binary version). For idx a name is the prefix
// of an images/labels pair: "train" stands for train-images-idx3-ubyte and
// train-labels-idx1-ubyte, each uncompressed if present, else with ".gz".
// The embedded source takes no Dir or files, only a holdout.
type Spec struct {
	Source     string // SourceCIFAR10, SourceIDX, SourceEmbedded; "" means embedded
	Dir        string
	Train      []string
	Test       []string
	Validation Validation
}

// Load reads, checks and splits the data set the spec describes and
// computes its normalisation statistics and fingerprint. It stops with
// ctx's error once ctx is done, checking between files and between chunks
// of a file.
func Load(ctx context.Context, spec Spec) (*Dataset, error) {
	p, err := plan(spec)
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Source: p.source, Format: p.format, K: numClasses}
	var train, val, test Split
	for _, role := range []struct {
		name  string
		units []unit
		dst   *Split
	}{{RoleTrain, p.train, &train}, {RoleVal, p.val, &val}, {RoleTest, p.test, &test}} {
		parts := make([]Split, 0, len(role.units))
		for _, u := range role.units {
			s, files, err := u.load(ctx, role.name)
			if err != nil {
				return nil, err
			}
			if ds.D == 0 {
				ds.D = len(s.Pixels) / s.N
			} else if len(s.Pixels) != s.N*ds.D {
				return nil, &Error{Path: files[0].Path, Kind: ErrFormat, Msg: fmt.Sprintf("%d features per example, other files have %d", len(s.Pixels)/s.N, ds.D)}
			}
			parts = append(parts, s)
			ds.Files = append(ds.Files, files...)
		}
		*role.dst = concat(parts)
	}
	if p.holdout > 0 {
		if p.holdout >= train.N {
			msg := fmt.Sprintf("holdout of %d examples leaves nothing to train on: the training files hold %d", p.holdout, train.N)
			if spec.Validation.Holdout == nil {
				msg += fmt.Sprintf(" (%d is the %s default; set validation.holdout)", p.holdout, p.source)
			}
			return nil, specErr(msg)
		}
		train, val = splitLast(train, p.holdout, ds.D)
	}
	ds.Train, ds.Val, ds.Test, ds.Holdout = train, val, test, p.holdout
	ds.Mean, ds.Std = Stats(ds.Train, ds.D)
	ds.Fingerprint = fingerprint(ds)
	return ds, nil
}

// concat joins splits into one; a single split is returned as is so the
// common one-file case copies nothing.
func concat(parts []Split) Split {
	if len(parts) == 1 {
		return parts[0]
	}
	var out Split
	for _, p := range parts {
		out.N += p.N
	}
	out.Pixels = make([]uint8, 0, func() int {
		n := 0
		for _, p := range parts {
			n += len(p.Pixels)
		}
		return n
	}())
	out.Labels = make([]uint8, 0, out.N)
	for i := range parts {
		out.Pixels = append(out.Pixels, parts[i].Pixels...)
		out.Labels = append(out.Labels, parts[i].Labels...)
		parts[i] = Split{} // let the copy be collected as we go
	}
	return out
}

// splitLast moves the last h examples of s into a second split sharing the
// same backing arrays. Capacities are clipped so appending to the first can
// never overwrite the second.
func splitLast(s Split, h, d int) (Split, Split) {
	n := s.N - h
	return Split{Pixels: s.Pixels[: n*d : n*d], Labels: s.Labels[:n:n], N: n},
		Split{Pixels: s.Pixels[n*d:], Labels: s.Labels[n:], N: h}
}

// Stats returns the per-feature mean and population standard deviation of
// s in raw pixel units, with deviations below MinStd replaced by 1.
//
// Sums of x and x² are accumulated exactly in integers and the variance
// is (n·Σx² − (Σx)²) / n²: its numerator is exact, so below some 700 000
// examples the variance is correctly rounded, better than two float64
// passes and with one pass over the pixels.
func Stats(s Split, d int) (mean, std []float64) {
	mean, std = make([]float64, d), make([]float64, d)
	if s.N == 0 {
		for j := range std {
			std[j] = 1
		}
		return mean, std
	}
	sum, sumSq := make([]uint64, d), make([]uint64, d)
	for i := range s.N {
		row := s.Pixels[i*d : (i+1)*d]
		for j, x := range row {
			v := uint64(x)
			sum[j] += v
			sumSq[j] += v * v
		}
	}
	n := uint64(s.N)
	for j := range d {
		mean[j] = float64(sum[j]) / float64(n)
		// n·Σx² ≥ (Σx)² (Cauchy-Schwarz); 128-bit products keep the
		// difference exact for any n.
		hi1, lo1 := bits.Mul64(n, sumSq[j])
		hi2, lo2 := bits.Mul64(sum[j], sum[j])
		lo, borrow := bits.Sub64(lo1, lo2, 0)
		hi, _ := bits.Sub64(hi1, hi2, borrow)
		// The product is exact; the conversion keeps any compiler from
		// fusing it into the sum all the same (the rule for float code
		// that must agree across CPUs).
		num := float64(float64(hi)*(1<<64)) + float64(lo)
		std[j] = math.Sqrt(num / (float64(n) * float64(n)))
		if std[j] < MinStd {
			std[j] = 1
		}
	}
	return mean, std
}

// fingerprint hashes what identifies the data set: source, format, each
// file's role, size and content hash in order, and the holdout. Paths are
// left out so moving the files keeps the fingerprint.
func fingerprint(ds *Dataset) string {
	h := sha256.New()
	line := func(fields ...string) {
		for i, f := range fields {
			if i > 0 {
				io.WriteString(h, " ")
			}
			io.WriteString(h, f)
		}
		io.WriteString(h, "\n")
	}
	line("sweep-data", "v1")
	line("source", ds.Source)
	line("format", ds.Format)
	for _, f := range ds.Files {
		line("file", f.Role, strconv.FormatInt(f.Size, 10), f.SHA256)
	}
	line("holdout", strconv.Itoa(ds.Holdout))
	return hex.EncodeToString(h.Sum(nil))
}

// ChangedFiles compares the files recorded earlier (say, when a search
// started) with the ones just loaded and returns the paths of those that
// changed content, disappeared, or are new. Files match by path. It returns
// nil when nothing changed.
func (d *Dataset) ChangedFiles(old []FileHash) []string {
	now := make(map[string]FileHash, len(d.Files))
	for _, f := range d.Files {
		now[f.Path] = f
	}
	was := make(map[string]bool, len(old))
	var changed []string
	for _, o := range old {
		was[o.Path] = true
		if f, ok := now[o.Path]; !ok || f.SHA256 != o.SHA256 || f.Size != o.Size {
			changed = append(changed, o.Path)
		}
	}
	for _, f := range d.Files {
		if !was[f.Path] {
			changed = append(changed, f.Path)
		}
	}
	return changed
}
