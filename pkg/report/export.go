package report

import (
	"bufio"
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
	"github.com/sweep-ml/sweep/pkg/train"
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
		return checkDest(path, force)
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
		st, err := db.Stage(stage)
		if err != nil {
			return err
		}
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
	var hw historyWriter
	if format == "jsonl" {
		hw = newJSONLHistory(bw, names)
	} else if hw, err = newCSVHistory(bw, names); err != nil {
		return err
	}
	err = each(func(t store.Trial) error {
		hw.trial(t)
		return db.ForEachRecord(t.ID, hw.record)
	})
	if err != nil {
		return err
	}
	if err := hw.flush(); err != nil {
		return err
	}
	return bw.Flush()
}

// historyWriter writes the long form of histories: trial sets the trial
// whose records follow.
type historyWriter interface {
	trial(t store.Trial)
	record(r store.Record) error
	flush() error
}

var historyColumns = []string{"step", "epoch", "eta", "train_cost", "train_loss", "train_accuracy", "val_cost", "val_loss", "val_accuracy"}

// csvHistory writes through encoding/csv, so any text in a stage name
// (commas, quotes, newlines, control characters) reads back as written.
type csvHistory struct {
	w      *csv.Writer
	names  []string
	fields []string // the current trial's prefix, then the record, reused
	prefix int
}

func newCSVHistory(w io.Writer, names []string) (*csvHistory, error) {
	h := &csvHistory{w: csv.NewWriter(w), names: names}
	header := append(append([]string{"trial", "stage", "status"}, names...), historyColumns...)
	if err := h.w.Write(header); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *csvHistory) trial(t store.Trial) {
	h.fields = append(h.fields[:0], t.ID, t.Stage, string(t.Status))
	for _, name := range h.names {
		h.fields = append(h.fields, csvFloat(paramOrNaN(t.Params, name)))
	}
	h.prefix = len(h.fields)
}

func (h *csvHistory) record(r store.Record) error {
	h.fields = append(h.fields[:h.prefix], strconv.Itoa(r.Step))
	for _, v := range [...]float64{r.Epoch, r.Eta, r.TrainCost, r.TrainLoss, r.TrainAccuracy, r.ValCost, r.ValLoss, r.ValAccuracy} {
		h.fields = append(h.fields, csvFloat(v))
	}
	return h.w.Write(h.fields)
}

func (h *csvHistory) flush() error {
	h.w.Flush()
	return h.w.Error()
}

// jsonlHistory writes one object per record through encoding/json, which
// escapes control characters as JSON requires (invalid UTF-8 becomes
// U+FFFD, as JSON text must be UTF-8).
type jsonlHistory struct {
	enc   *json.Encoder
	names []string
	line  historyLine
}

// historyLine is one jsonl line; its field order is the output's key order.
type historyLine struct {
	Trial  string            `json:"trial"`
	Stage  string            `json:"stage"`
	Status store.Status      `json:"status"`
	Params map[string]Number `json:"params"`
	JSONRecord
}

func newJSONLHistory(w io.Writer, names []string) *jsonlHistory {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonlHistory{enc: enc, names: names}
}

func (h *jsonlHistory) trial(t store.Trial) {
	params := make(map[string]Number, len(t.Params))
	for name, v := range t.Params {
		params[name] = Number(v)
	}
	h.line = historyLine{Trial: t.ID, Stage: t.Stage, Status: t.Status, Params: params}
}

func (h *jsonlHistory) record(r store.Record) error {
	h.line.JSONRecord = JSONHistory([]train.Record{train.Record(r)})[0]
	return h.enc.Encode(&h.line)
}

func (h *jsonlHistory) flush() error { return nil }

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
