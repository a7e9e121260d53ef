package report

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/sweep-ml/sweep/pkg/store"
)

// Selection chooses the trials of a ranking.
type Selection struct {
	Stage string // only trials this stage lists (reused ones included); "" for all
	Top   int    // at most this many rows; 0 for all
}

// Row is one ranked trial. Stage is the stage it is listed under, which for
// a reused trial is not the stage that trained it.
type Row struct {
	store.Trial
	ListedIn string
	Reused   bool
}

// Rank reads the trials of db, best first (see store.Rank).
func Rank(db *store.DB, sel Selection) ([]Row, error) {
	stages, err := db.Stages()
	if err != nil {
		return nil, err
	}
	var rows []Row
	if sel.Stage == "" {
		err = db.ForEachTrial(func(t store.Trial) error {
			rows = append(rows, Row{Trial: t, ListedIn: t.Stage})
			return nil
		})
		if err != nil {
			return nil, err
		}
	} else {
		i := slices.IndexFunc(stages, func(s store.Stage) bool { return s.Name == sel.Stage })
		if i < 0 {
			names := make([]string, len(stages))
			for j, s := range stages {
				names[j] = s.Name
			}
			return nil, fmt.Errorf("report: no stage %q in %s (stages: %s)", sel.Stage, db.Path(), strings.Join(names, ", "))
		}
		for j, id := range stages[i].TrialIDs {
			t, err := db.Trial(id)
			if err != nil {
				return nil, err
			}
			rows = append(rows, Row{Trial: t, ListedIn: sel.Stage, Reused: stages[i].Reused[j]})
		}
	}
	trials := make([]store.Trial, len(rows))
	byID := make(map[string]Row, len(rows))
	for i, r := range rows {
		trials[i] = r.Trial
		byID[r.ID] = r
	}
	store.Rank(trials)
	for i, t := range trials {
		rows[i] = byID[t.ID]
	}
	if sel.Top > 0 && len(rows) > sel.Top {
		rows = rows[:sel.Top]
	}
	return rows, nil
}

// searched lists the parameter names that appear in any row, lambda first.
func searched(rows []Row) []string {
	set := map[string]bool{}
	for _, r := range rows {
		for name := range r.Params {
			set[name] = true
		}
	}
	delete(set, "lambda")
	return append([]string{"lambda"}, slices.Sorted(maps.Keys(set))...)
}

func metric(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// WriteTable prints rows as an aligned table for people.
func WriteTable(w io.Writer, rows []Row) error {
	names := searched(rows)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := []string{"#", "id", "stage", "status"}
	header = append(header, names...)
	header = append(header, "val acc", "val cost", "train acc", "test acc", "seconds")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for i, r := range rows {
		stage := r.ListedIn
		if r.Reused {
			stage += " (reused)"
		}
		cells := []string{fmt.Sprint(i + 1), r.ID[:min(8, len(r.ID))], stage, string(r.Status)}
		for _, name := range names {
			cells = append(cells, paramString(name, r.Params))
		}
		cells = append(cells, Percent(metric(r.Final.ValAccuracy)), Fixed(metric(r.Final.ValCost)),
			Percent(metric(r.Final.TrainAccuracy)), Percent(metric(r.Final.TestAccuracy)), fmt.Sprintf("%.1f", r.Seconds))
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// paramString formats a parameter for people: lambda and other values
// spanning decades in scientific notation, whole numbers as integers.
func paramString(name string, params map[string]float64) string {
	v, ok := params[name]
	switch {
	case !ok:
		return "-"
	case name != "lambda" && v == math.Trunc(v) && math.Abs(v) < 1e9:
		return fmt.Sprint(int64(v))
	}
	return Sci(v)
}

// JSONTrial is a ranked trial in machine form; its keys are a contract.
type JSONTrial struct {
	ID            string             `json:"id"`
	Stage         string             `json:"stage"`
	TrainedIn     string             `json:"trained_in"`
	Reused        bool               `json:"reused"`
	Status        string             `json:"status"`
	Params        map[string]float64 `json:"params"`
	Config        json.RawMessage    `json:"config"`
	ValAccuracy   *Number            `json:"val_accuracy"`
	ValCost       *Number            `json:"val_cost"`
	ValLoss       *Number            `json:"val_loss"`
	TrainAccuracy *Number            `json:"train_accuracy"`
	TestAccuracy  *Number            `json:"test_accuracy"`
	Seconds       float64            `json:"seconds"`
	WallSeconds   float64            `json:"wall_seconds"`
	Error         string             `json:"error,omitempty"`
	DivergedStep  int                `json:"diverged_step,omitempty"`
	Kernel        string             `json:"kernel,omitempty"`
}

func number(p *float64) *Number {
	if p == nil {
		return nil
	}
	n := Number(*p)
	return &n
}

// WriteJSON prints rows as a JSON array.
func WriteJSON(w io.Writer, rows []Row) error {
	out := make([]JSONTrial, len(rows))
	for i, r := range rows {
		cfg := r.Config
		if len(cfg) == 0 {
			cfg = json.RawMessage("null")
		}
		out[i] = JSONTrial{
			ID: r.ID, Stage: r.ListedIn, TrainedIn: r.Stage, Reused: r.Reused, Status: string(r.Status),
			Params: r.Params, Config: cfg,
			ValAccuracy: number(r.Final.ValAccuracy), ValCost: number(r.Final.ValCost), ValLoss: number(r.Final.ValLoss),
			TrainAccuracy: number(r.Final.TrainAccuracy), TestAccuracy: number(r.Final.TestAccuracy),
			Seconds: r.Seconds, WallSeconds: r.WallSeconds, Error: r.Error, DivergedStep: r.DivergedStep, Kernel: r.Kernel,
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
