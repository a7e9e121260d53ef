package report

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"codeberg.org/sbinet/npyio/npz"

	"github.com/sweep-ml/sweep/pkg/store"
)

// CreateFile writes a file through fn so that readers only ever see the
// whole of it: fn writes into a temporary file in the destination's
// directory, which is synced and renamed over path. On any error the
// temporary file is removed and path is untouched.
//
// An existing path is refused unless force is set, and a symbolic link at
// path is refused even then, so an export never writes through a link into
// a file its user did not name.
func CreateFile(path string, force bool, fn func(w io.Writer) error) (err error) {
	if err := checkDest(path, force); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("report: create %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<16)
	if err := fn(bw); err != nil {
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	// CreateTemp makes the file private; an export is an ordinary file.
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	if err := publish(tmp.Name(), path, force); err != nil {
		return err
	}
	// The rename is durable only once the directory is synced; a platform
	// that cannot sync directories still has the complete file.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// checkDest refuses a destination that exists (unless force) or that is a
// symbolic link or not a regular file.
func checkDest(path string, force bool) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("report: %w", err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("report: %s is a symbolic link; not writing through it", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("report: %s exists and is not a regular file", path)
	case !force:
		return fmt.Errorf("report: %s already exists; use --force to overwrite it", path)
	}
	return nil
}

// publish moves the finished temporary file to path. Without force it
// links rather than renames, which fails if path appeared meanwhile; with
// force it checks path again, since a link may have been put there.
func publish(tmp, path string, force bool) error {
	if !force {
		err := os.Link(tmp, path)
		if err == nil {
			return os.Remove(tmp)
		}
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("report: %s already exists; use --force to overwrite it", path)
		}
		// A file system without hard links: fall back to the checked rename.
	}
	if err := checkDest(path, force); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// HistoryFormats are the formats WriteHistories accepts.
var HistoryFormats = []string{"csv", "jsonl"}

// WriteHistories streams every history record of db in long form, one row
// per (trial, record): trial id, stage, status, one column per parameter
// name of the sweep (empty where a trial has no such parameter), then the
// record. With stage set, only the trials that stage lists, under its
// name. format is "csv" (an empty cell is not a number, as in WriteCSV) or
// "jsonl" (one object per line, parameters in a "params" object, null for
// what is not a number).
//
// Memory stays flat in the number of trials: a first pass collects the
// parameter names, a second writes each trial's records as it reads them.
func WriteHistories(w io.Writer, db *store.DB, format, stage string) error {
	if !slices.Contains(HistoryFormats, format) {
		return fmt.Errorf("report: unknown history format %q (want csv or jsonl)", format)
	}
	each := db.ForEachTrial
	if stage != "" {
		st, err := db.Stage(stage)
		if err != nil {
			return err
		}
		each = func(fn func(store.Trial) error) error {
			for _, id := range st.TrialIDs {
				t, err := db.Trial(id)
				if err != nil {
					return err
				}
				t.Stage = stage
				if err := fn(t); err != nil {
					return err
				}
			}
			return nil
		}
	}
	set := map[string]bool{}
	err := each(func(t store.Trial) error {
		for name := range t.Params {
			set[name] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(set))
	hw := &historyWriter{w: bufio.NewWriterSize(w, 1<<16), names: names, jsonl: format == "jsonl"}
	if !hw.jsonl {
		hw.header()
	}
	err = each(func(t store.Trial) error {
		hw.trial(t)
		return db.ForEachRecord(t.ID, hw.record)
	})
	if err != nil {
		return err
	}
	return hw.w.Flush()
}

// historyWriter formats records into one reused buffer: the prefix of a
// trial's lines is built once per trial.
type historyWriter struct {
	w      *bufio.Writer
	names  []string
	jsonl  bool
	prefix []byte
	line   []byte
}

var historyColumns = []string{"step", "epoch", "eta", "train_cost", "train_loss", "train_accuracy", "val_cost", "val_loss", "val_accuracy"}

func (h *historyWriter) header() {
	var b []byte
	for i, c := range append([]string{"trial", "stage", "status"}, h.names...) {
		b = appendCSVField(b, i, c)
	}
	for _, c := range historyColumns {
		b = appendCSVField(b, 1, c)
	}
	h.w.Write(append(b, '\n'))
}

func (h *historyWriter) trial(t store.Trial) {
	b := h.prefix[:0]
	if h.jsonl {
		b = append(b, `{"trial":`...)
		b = strconv.AppendQuote(b, t.ID)
		b = append(b, `,"stage":`...)
		b = strconv.AppendQuote(b, t.Stage)
		b = append(b, `,"status":`...)
		b = strconv.AppendQuote(b, string(t.Status))
		b = append(b, `,"params":{`...)
		first := true
		for _, name := range h.names {
			if v, ok := t.Params[name]; ok {
				if !first {
					b = append(b, ',')
				}
				first = false
				b = strconv.AppendQuote(b, name)
				b = appendJSONFloat(append(b, ':'), v)
			}
		}
		b = append(b, '}')
	} else {
		b = appendCSVField(b, 0, t.ID)
		b = appendCSVField(b, 1, t.Stage)
		b = appendCSVField(b, 1, string(t.Status))
		for _, name := range h.names {
			v, ok := t.Params[name]
			if !ok {
				v = math.NaN()
			}
			b = appendCSVFloat(append(b, ','), v)
		}
	}
	h.prefix = b
}

func (h *historyWriter) record(r store.Record) error {
	vals := [...]float64{r.Epoch, r.Eta, r.TrainCost, r.TrainLoss, r.TrainAccuracy, r.ValCost, r.ValLoss, r.ValAccuracy}
	b := append(h.line[:0], h.prefix...)
	if h.jsonl {
		b = append(b, `,"step":`...)
		b = strconv.AppendInt(b, int64(r.Step), 10)
		for i, v := range vals {
			b = append(b, `,"`...)
			b = append(b, historyColumns[i+1]...)
			b = append(b, `":`...)
			b = appendJSONFloat(b, v)
		}
		b = append(b, '}')
	} else {
		b = strconv.AppendInt(append(b, ','), int64(r.Step), 10)
		for _, v := range vals {
			b = appendCSVFloat(append(b, ','), v)
		}
	}
	h.line = append(b, '\n')
	_, err := h.w.Write(h.line)
	return err
}

func appendJSONFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// WriteWeights writes a trial's network as a NumPy .npz archive of float64
// arrays: W1 (m x d), b1 (m), W2 (K x m), b2 (K), mean and std (d each,
// the normalisation the network was trained with, in raw pixel units; zeros
// and ones if inputs were not normalised), one 0-d array param_NAME per
// parameter, test_accuracy (0-d, NaN if not measured) and params_json, the
// parameters as a JSON string. x = (pixels - mean) / std feeds the network.
func WriteWeights(w io.Writer, t store.Trial, wt *store.Weights) error {
	mean, std := wt.Mean, wt.Std
	if len(mean) == 0 {
		mean, std = make([]float64, wt.D), make([]float64, wt.D)
		for i := range std {
			std[i] = 1
		}
	}
	params, err := json.Marshal(t.Params)
	if err != nil {
		return fmt.Errorf("report: trial %s: %w", t.ID, err)
	}
	z := npz.NewWriter(w)
	arrays := []struct {
		name string
		v    any
	}{
		{"W1", matrix(wt.W1, wt.M, wt.D)}, {"b1", wt.B1},
		{"W2", matrix(wt.W2, wt.K, wt.M)}, {"b2", wt.B2},
		{"mean", mean}, {"std", std},
		{"test_accuracy", metric(t.Final.TestAccuracy)},
		{"params_json", string(params)},
	}
	for _, name := range slices.Sorted(maps.Keys(t.Params)) {
		arrays = append(arrays, struct {
			name string
			v    any
		}{"param_" + name, t.Params[name]})
	}
	for _, a := range arrays {
		if err := z.Write(a.name, a.v); err != nil {
			return fmt.Errorf("report: trial %s: %w", t.ID, err)
		}
	}
	return z.Close()
}

// matrix views a row-major slice as rows, which npy writes as a 2-d array.
func matrix(flat []float64, rows, cols int) [][]float64 {
	out := make([][]float64, rows)
	for i := range out {
		out[i] = flat[i*cols : (i+1)*cols]
	}
	return out
}
