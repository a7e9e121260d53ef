package report

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
)

// Selection chooses and orders the trials of a ranking.
type Selection struct {
	Stage  string       // only trials this stage lists (reused ones included); "" for all
	Status store.Status // only trials with this status; "" for all
	// Sort is a metric key (see SortKeys) or a parameter name; "" is
	// val_accuracy, the order of store.Rank.
	Sort string
	// GroupSeeds merges the seeds of one configuration into one row.
	GroupSeeds bool
	Top        int // at most this many rows per ranking group; 0 for all
}

// Row is one ranked trial, or with Selection.GroupSeeds one configuration.
// Stage is the stage that trained it; ListedIn the stage it is listed
// under, which for a reused trial is a later one.
type Row struct {
	store.Trial
	ListedIn string
	Reused   bool
	// OwnData marks a trial of a stage with its own data section. Its
	// validation set differs from the other stages', so it is ranked on
	// its own, after them.
	OwnData bool
	// Seeds is set on grouped rows: the Trial then carries the seeds' mean
	// metrics and the first seed's id.
	Seeds *Seeds
}

// ErrSortKey is wrapped by the error for a sort key that is neither a
// metric nor a parameter of the ranked trials.
var ErrSortKey = errors.New("unknown sort key")

// metricCol is one final metric as rankings show and sort it.
type metricCol struct {
	key, title string
	percent    bool // an accuracy: a percentage for people, sorted descending
	inTable    bool // shown in the table and Markdown forms
	get        func(*store.Trial) float64
}

var metricCols = []metricCol{
	{"val_accuracy", "val acc", true, true, func(t *store.Trial) float64 { return metric(t.Final.ValAccuracy) }},
	{"val_cost", "val cost", false, true, func(t *store.Trial) float64 { return metric(t.Final.ValCost) }},
	{"val_loss", "val loss", false, false, func(t *store.Trial) float64 { return metric(t.Final.ValLoss) }},
	{"train_accuracy", "train acc", true, true, func(t *store.Trial) float64 { return metric(t.Final.TrainAccuracy) }},
	{"test_accuracy", "test acc", true, true, func(t *store.Trial) float64 { return metric(t.Final.TestAccuracy) }},
	{"seconds", "seconds", false, true, func(t *store.Trial) float64 { return t.Seconds }},
}

// SortKeys lists the metric sort keys; any parameter name is one too.
func SortKeys() []string {
	keys := make([]string, len(metricCols))
	for i, c := range metricCols {
		keys[i] = c.key
	}
	return keys
}

// Rank reads the trials of db that sel chooses, best first.
func Rank(ctx context.Context, db *store.DB, sel Selection) ([]Row, error) {
	rows, err := readRows(ctx, db, sel.Stage)
	if err != nil {
		return nil, err
	}
	// A promoted trial is repeated by its continuation at the next rung of
	// its stage, so rankings leave it out there unless asked for by
	// status; a later stage that lists it shows it.
	rows = slices.DeleteFunc(rows, func(r Row) bool {
		if sel.Status != "" {
			return r.Status != sel.Status
		}
		return r.Status == store.Promoted && r.ListedIn == r.Stage
	})
	if sel.GroupSeeds {
		rows = groupSeeds(rows)
	}
	stages, err := db.Stages()
	if err != nil {
		return nil, err
	}
	if err := sortRows(rows, stages, sel.Sort); err != nil {
		return nil, err
	}
	if err := separateOwnData(db, rows); err != nil {
		return nil, err
	}
	if sel.Top > 0 {
		rows = topPerGroup(rows, sel.Top)
	}
	return rows, nil
}

// topPerGroup keeps the first n rows of the main ranking and of each stage
// ranked apart, so that --top never hides a final retraining.
func topPerGroup(rows []Row, n int) []Row {
	out := rows[:0]
	kept := 0
	for i, r := range rows {
		if i > 0 && (r.OwnData != rows[i-1].OwnData || r.OwnData && r.Stage != rows[i-1].Stage) {
			kept = 0
		}
		if kept < n {
			out = append(out, r)
			kept++
		}
	}
	return out
}

// separateOwnData marks the rows of stages with their own data section and
// moves them after the others, each such stage a group in stage order,
// keeping the order within groups.
func separateOwnData(db *store.DB, rows []Row) error {
	stages, err := db.Stages()
	if err != nil {
		return err
	}
	group := map[string]int{} // stage → 1 + its index, for stages with their own data
	for _, st := range stages {
		spec, err := config.DecodeStage(st.Spec)
		if err != nil {
			return fmt.Errorf("report: stage %q: %w", st.Name, err)
		}
		if !spec.Data.IsZero() {
			group[st.Name] = 1 + st.Index
		}
	}
	for i := range rows {
		rows[i].OwnData = group[rows[i].Stage] > 0
	}
	slices.SortStableFunc(rows, func(a, b Row) int { return cmp.Compare(group[a.Stage], group[b.Stage]) })
	return nil
}

func readRows(ctx context.Context, db *store.DB, stage string) ([]Row, error) {
	var rows []Row
	if stage == "" {
		err := eachTrial(ctx, db, func(t store.Trial) error {
			rows = append(rows, Row{Trial: t, ListedIn: t.Stage})
			return nil
		})
		return rows, err
	}
	stages, err := db.Stages()
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(stages, func(s store.Stage) bool { return s.Name == stage })
	if i < 0 {
		return nil, noStageError(db, stage, stages)
	}
	for j, id := range stages[i].TrialIDs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t, err := db.Trial(id)
		if err != nil {
			return nil, err
		}
		rows = append(rows, Row{Trial: t, ListedIn: stage, Reused: stages[i].Reused[j]})
	}
	return rows, nil
}

// sortRows orders rows as store.Rank does, then, for any key but
// val_accuracy, stably by that key: accuracies descending, everything else
// ascending, missing and NaN values last.
func sortRows(rows []Row, stages []store.Stage, key string) error {
	rankOrder(rows, stages)
	if key == "" || key == "val_accuracy" {
		return nil
	}
	var get func(*Row) float64
	desc := false
	if i := slices.IndexFunc(metricCols, func(c metricCol) bool { return c.key == key }); i >= 0 {
		get = func(r *Row) float64 { return metricCols[i].get(&r.Trial) }
		desc = metricCols[i].percent
	} else if slices.Contains(paramNames(rows), key) {
		get = func(r *Row) float64 { return paramOrNaN(r.Params, key) }
	} else {
		keys := append(SortKeys(), paramNames(rows)...)
		return fmt.Errorf("report: %w %q (valid: %s)", ErrSortKey, key, strings.Join(slices.Compact(keys), ", "))
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		av, bv := get(&a), get(&b)
		switch an, bn := math.IsNaN(av), math.IsNaN(bv); {
		case an || bn:
			return cmp.Compare(boolInt(an), boolInt(bn))
		case desc:
			return cmp.Compare(bv, av)
		}
		return cmp.Compare(av, bv)
	})
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// rankOrder sorts rows with store.Rank, unfinished ones in the order of
// stages. A group ranks as done when any of its seeds is, by its mean
// metrics.
func rankOrder(rows []Row, stages []store.Stage) {
	trials := make([]store.Trial, len(rows))
	byID := make(map[string]Row, len(rows))
	for i, r := range rows {
		trials[i] = r.Trial
		if r.Seeds != nil && r.Seeds.Done > 0 {
			trials[i].Status = store.Done
		}
		byID[r.ID] = r
	}
	store.Rank(trials, stages...)
	for i, t := range trials {
		rows[i] = byID[t.ID]
	}
}

// ParamNames lists the parameter names that any of items has (params
// reads an item's): lambda first, which every trial has, then the others
// in order.
func ParamNames[T any](items []T, params func(T) map[string]float64) []string {
	set := map[string]bool{}
	for _, it := range items {
		for name := range params(it) {
			set[name] = true
		}
	}
	delete(set, "lambda")
	return append([]string{"lambda"}, slices.Sorted(maps.Keys(set))...)
}

// paramNames lists the parameter names that appear in any row.
func paramNames(rows []Row) []string {
	return ParamNames(rows, func(r Row) map[string]float64 { return r.Params })
}

// metric reads a stored metric, NaN where none was measured.
var metric = store.OrNaN

// paramOrNaN reads a parameter, NaN for a trial that does not have it.
func paramOrNaN(params map[string]float64, name string) float64 {
	if v, ok := params[name]; ok {
		return v
	}
	return math.NaN()
}

// paramString formats a trial's parameter for people ("-" if it has none).
func paramString(name string, params map[string]float64) string {
	v, ok := params[name]
	if !ok {
		return "-"
	}
	return FormatParam(name, v)
}

// JSONTrial is a ranked trial in machine form; its keys are a contract.
// Grouped rows add seeds, seed_ids and std (sample standard deviations of
// the metrics, null with fewer than two values) and carry mean metrics.
type JSONTrial struct {
	ID            string             `json:"id"`
	Stage         string             `json:"stage"`
	TrainedIn     string             `json:"trained_in"`
	Reused        bool               `json:"reused"`
	OwnData       bool               `json:"own_data"` // ranked apart: the stage has its own data section
	Status        string             `json:"status"`
	Params        map[string]float64 `json:"params"`
	Config        json.RawMessage    `json:"config"`
	ValAccuracy   *Number            `json:"val_accuracy"`
	ValCost       *Number            `json:"val_cost"`
	ValLoss       *Number            `json:"val_loss"`
	TrainAccuracy *Number            `json:"train_accuracy"`
	TestAccuracy  *Number            `json:"test_accuracy"`
	CyclesTrained int                `json:"cycles_trained"`
	Seconds       float64            `json:"seconds"`
	WallSeconds   float64            `json:"wall_seconds"`
	Error         string             `json:"error,omitempty"`
	DivergedStep  int                `json:"diverged_step,omitempty"`
	Kernel        string             `json:"kernel,omitempty"`
	// Segments say where each stretch of the training ran (worker, host,
	// kernel, from and to update); absent in files written before them.
	Segments  []store.Segment   `json:"segments,omitempty"`
	Seeds     int               `json:"seeds,omitempty"`
	SeedIDs   []string          `json:"seed_ids,omitempty"`
	SeedsDone *int              `json:"seeds_done,omitempty"`
	Std       map[string]Number `json:"std,omitempty"`
}

func number(p *float64) *Number {
	if p == nil {
		return nil
	}
	n := Number(*p)
	return &n
}

// jsonConfig is a trial's settings as report --format json lists them: the
// stored flat object keyed by setting name, once package config has read
// it, so that a malformed config is an error, not a blank.
func jsonConfig(t store.Trial) (json.RawMessage, error) {
	if len(t.Config) == 0 {
		return json.RawMessage("null"), nil
	}
	if _, _, err := config.ReadSettings(t.Config); err != nil {
		return nil, fmt.Errorf("report: trial %s: %w", t.ID, err)
	}
	return t.Config, nil
}

// WriteJSON prints rows as a JSON array.
func WriteJSON(w io.Writer, rows []Row) error {
	out := make([]JSONTrial, len(rows))
	for i, r := range rows {
		cfg, err := jsonConfig(r.Trial)
		if err != nil {
			return err
		}
		out[i] = JSONTrial{
			ID: r.ID, Stage: r.ListedIn, TrainedIn: r.Stage, Reused: r.Reused, OwnData: r.OwnData, Status: string(r.Status),
			Params: r.Params, Config: cfg,
			ValAccuracy: number(r.Final.ValAccuracy), ValCost: number(r.Final.ValCost), ValLoss: number(r.Final.ValLoss),
			TrainAccuracy: number(r.Final.TrainAccuracy), TestAccuracy: number(r.Final.TestAccuracy),
			CyclesTrained: CyclesTrained(r.Trial), Seconds: r.Seconds, WallSeconds: r.WallSeconds, Error: r.Error, DivergedStep: r.DivergedStep, Kernel: r.Kernel,
			Segments: r.Segments,
		}
		if s := r.Seeds; s != nil {
			out[i].Seeds, out[i].SeedIDs, out[i].SeedsDone = len(s.IDs), s.IDs, &s.Done
			out[i].Std = make(map[string]Number, len(s.Std))
			for k, v := range s.Std {
				out[i].Std[k] = Number(v)
			}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// noStageError names the stage asked for, the database and the stages it
// has, so a typo in --stage can be corrected from the message alone.
func noStageError(db *store.DB, stage string, stages []store.Stage) error {
	names := make([]string, len(stages))
	for j, s := range stages {
		names[j] = s.Name
	}
	return fmt.Errorf("report: no stage %q in %s (stages: %s)", stage, db.Path(), strings.Join(names, ", "))
}
