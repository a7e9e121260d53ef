package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strconv"

	"codeberg.org/sbinet/npyio/npz"

	"github.com/sweep-ml/sweep/internal/atomicfile"
	"github.com/sweep-ml/sweep/pkg/store"
)

// CreateFile writes a file through fn so that readers only ever see the
// whole of it (internal/atomicfile, durably). On any error path is
// untouched.
//
// An existing path is refused unless force is set, and a symbolic link at
// path is refused even then, so an export never writes through a link into
// a file its user did not name.
func CreateFile(path string, force bool, fn func(w io.Writer) error) error {
	if err := checkDest(path, force); err != nil {
		return err
	}
	var fnErr error
	err := atomicfile.Write(path, atomicfile.Options{Replace: force, Durable: true}, func(w io.Writer) error {
		fnErr = fn(w)
		return fnErr
	})
	switch {
	case err == nil:
		return nil
	case fnErr == nil && errors.Is(err, fs.ErrExist):
		// It appeared after checkDest looked.
		return fmt.Errorf("report: %s already exists; use --force to overwrite it", path)
	case fnErr == nil && errors.Is(err, atomicfile.ErrNotRegular):
		// Something that is not a regular file appeared after checkDest
		// looked; nothing was written, even if it is gone again.
		if err := checkDest(path, force); err != nil {
			return err
		}
		return fmt.Errorf("report: %s changed while it was written; nothing was written, try again", path)
	}
	return fmt.Errorf("report: write %s: %w", path, err)
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
func WriteHistories(ctx context.Context, w io.Writer, db *store.DB, format, stage string) error {
	if !slices.Contains(HistoryFormats, format) {
		return fmt.Errorf("report: unknown history format %q (want csv or jsonl)", format)
	}
	each := func(fn func(store.Trial) error) error { return eachTrial(ctx, db, fn) }
	if stage != "" {
		stages, err := db.Stages()
		if err != nil {
			return err
		}
		i := slices.IndexFunc(stages, func(s store.Stage) bool { return s.Name == stage })
		if i < 0 {
			return noStageError(db, stage, stages)
		}
		st := stages[i]
		each = func(fn func(store.Trial) error) error {
			for _, id := range st.TrialIDs {
				if err := ctx.Err(); err != nil {
					return err
				}
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
	bw := bufio.NewWriterSize(w, 1<<16)
	hw := &historyWriter{w: bw, names: names, jsonl: format == "jsonl"}
	if err := hw.start(); err != nil {
		return err
	}
	err = each(func(t store.Trial) error {
		if err := hw.trial(t); err != nil {
			return err
		}
		return db.ForEachRecord(t.ID, hw.record)
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

var historyColumns = []string{"step", "epoch", "eta", "train_cost", "train_loss", "train_accuracy", "val_cost", "val_loss", "val_accuracy"}

// historyWriter writes the long form of histories. Everything that is text
// (ids, stage names that may hold any characters, statuses, parameter
// names) goes through encoding/csv or encoding/json, once per trial, into
// a prefix; each record then appends only numbers, which need no quoting,
// so a record costs no encoder call (2.1 million records stream at the
// speed of the former hand-written writer).
type historyWriter struct {
	w      io.Writer
	names  []string
	jsonl  bool
	text   bytes.Buffer // the encoders' output
	csv    *csv.Writer  // into text
	json   *json.Encoder
	prefix []byte
	line   []byte
}

func (h *historyWriter) start() error {
	if h.jsonl {
		h.json = json.NewEncoder(&h.text)
		h.json.SetEscapeHTML(false)
		return nil
	}
	h.csv = csv.NewWriter(&h.text)
	if err := h.csvLine(append(append([]string{"trial", "stage", "status"}, h.names...), historyColumns...)); err != nil {
		return err
	}
	_, err := h.w.Write(h.text.Bytes())
	return err
}

// csvLine encodes one CSV record into h.text.
func (h *historyWriter) csvLine(fields []string) error {
	h.text.Reset()
	if err := h.csv.Write(fields); err != nil {
		return err
	}
	h.csv.Flush()
	return h.csv.Error()
}

// historyTrial is the start of a trial's jsonl lines; its field order is
// the output's key order.
type historyTrial struct {
	Trial  string            `json:"trial"`
	Stage  string            `json:"stage"`
	Status store.Status      `json:"status"`
	Params map[string]Number `json:"params"`
}

// trial encodes the prefix of t's lines: for csv its fields up to the
// step, without the line end; for jsonl its object without the closing
// brace.
func (h *historyWriter) trial(t store.Trial) error {
	if h.jsonl {
		params := make(map[string]Number, len(t.Params))
		for name, v := range t.Params {
			params[name] = Number(v)
		}
		h.text.Reset()
		if err := h.json.Encode(historyTrial{t.ID, t.Stage, t.Status, params}); err != nil {
			return err
		}
		h.prefix = append(h.prefix[:0], bytes.TrimSuffix(h.text.Bytes(), []byte("}\n"))...)
		return nil
	}
	fields := []string{t.ID, t.Stage, string(t.Status)}
	for _, name := range h.names {
		fields = append(fields, csvFloat(paramOrNaN(t.Params, name)))
	}
	if err := h.csvLine(fields); err != nil {
		return err
	}
	h.prefix = append(h.prefix[:0], bytes.TrimSuffix(h.text.Bytes(), []byte("\n"))...)
	return nil
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
			b = appendJSONNumber(b, v)
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
