package store

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Status is a trial's lifecycle state.
type Status string

const (
	Pending  Status = "pending"
	Running  Status = "running"
	Done     Status = "done"
	Diverged Status = "diverged"
	Failed   Status = "failed"
	// Pruned and Promoted are done trials of a halving stage's lower rungs
	// once the rung is decided: a pruned trial stopped there, a promoted
	// one continued as the trial of the next rung. Both are complete
	// trainings of their cycles, with history, weights and test metrics.
	Pruned   Status = "pruned"
	Promoted Status = "promoted"
)

// Final reports whether the status is a finished result that a rerun would
// only reproduce (done, pruned, promoted, diverged). Final trials are never
// overwritten; a failed trial may be retried.
func (s Status) Final() bool { return s.Complete() || s == Diverged }

// Complete reports whether the trial trained all its cycles: done, or done
// and then pruned or promoted by a halving stage.
func (s Status) Complete() bool { return s == Done || s == Pruned || s == Promoted }

// Statuses lists every status in the one order sweep shows them: results
// first (done, pruned, promoted, diverged), then failed, then the
// unfinished.
var Statuses = []Status{Done, Pruned, Promoted, Diverged, Failed, Running, Pending}

// OrNaN reads an optional metric: NaN where none was measured.
func OrNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func (s Status) valid() bool {
	switch s {
	case Pending, Running, Done, Diverged, Failed, Pruned, Promoted:
		return true
	}
	return false
}

// Sweep describes the search stored in the file.
type Sweep struct {
	Name string `json:"name"`
	// ConfigYAML is the configuration file exactly as given.
	ConfigYAML []byte `json:"config_yaml"`
	// ConfigResolved is the configuration with defaults filled in and paths
	// made absolute.
	ConfigResolved  json.RawMessage `json:"config_resolved,omitempty"`
	ConfigPath      string          `json:"config_path"`
	DataFingerprint string          `json:"data_fingerprint"`
	DataFiles       []FileHash      `json:"data_files,omitempty"`
	Created         time.Time       `json:"created,omitzero"`
	// Numerics is the version of the numerics (train.AlgorithmVersion)
	// that computed every trial in the file. It is 0 in files written
	// before it was recorded; their trial ids still carry it.
	Numerics int `json:"numerics,omitempty"`
}

// FileHash identifies one input data file.
type FileHash struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Stage is one stage of the sweep and the trials it lists, in order.
type Stage struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
	// Spec is the stage's resolved settings.
	Spec json.RawMessage `json:"spec,omitempty"`
	// Derived holds values computed when the stage starts, e.g. a refine
	// range taken from the previous stage's results.
	Derived  json.RawMessage `json:"derived,omitempty"`
	TrialIDs []string        `json:"trial_ids"`
	// Reused is parallel to TrialIDs: true where the trial was computed by
	// an earlier stage and is only listed again here. PutStage accepts nil
	// (nothing reused); Stages always returns len(TrialIDs) entries.
	Reused []bool `json:"reused"`
}

// Trial is one training run's metadata and final metrics. It is small: its
// history, checkpoint and weights are stored separately.
type Trial struct {
	// ID is a content hash of the trial's settings, computed by the caller.
	ID     string             `json:"id"`
	Stage  string             `json:"stage"`
	Index  int                `json:"index"`
	Params map[string]float64 `json:"params,omitempty"`
	// Config is the trial's full resolved training configuration.
	Config       json.RawMessage `json:"config,omitempty"`
	Status       Status          `json:"status"`
	Seed         uint64          `json:"seed"`
	SeedIndex    int             `json:"seed_index"`
	Error        string          `json:"error,omitempty"`
	DivergedStep int             `json:"diverged_step,omitempty"`
	Kernel       string          `json:"kernel,omitempty"`
	Precision    string          `json:"precision,omitempty"`
	// Seconds is training time summed over resumed segments; WallSeconds
	// includes evaluation and storage.
	Seconds     float64   `json:"seconds"`
	WallSeconds float64   `json:"wall_seconds"`
	Started     time.Time `json:"started,omitzero"`
	Finished    time.Time `json:"finished,omitzero"`
	Attempts    int       `json:"attempts"`
	// CyclesTrained is how many whole cycles the trial's weights have
	// trained. Files written before halving lack it (0); their done
	// trials trained their config's cycles.
	CyclesTrained int     `json:"cycles_trained,omitempty"`
	Final         Metrics `json:"final"`
	// Segments lists where the trial trained, one entry per stretch of
	// steps a worker trained without interruption, in order. Files written
	// before it existed lack it.
	Segments []Segment `json:"segments,omitempty"`
}

// Segment is one stretch of a trial's training, from update From to
// update To, and where it ran: Worker names a distributed worker ("" for
// the run process's own pool), Host its machine, Kernel its kernel set.
type Segment struct {
	Worker string `json:"worker,omitempty"`
	Host   string `json:"host,omitempty"`
	Kernel string `json:"kernel,omitempty"`
	From   int    `json:"from"`
	To     int    `json:"to"`
}

// Metrics are a trial's final measurements. A nil field was not measured
// (e.g. no test split); values may be NaN or ±Inf for diverged trials.
type Metrics struct {
	TrainCost     *float64 `json:"train_cost,omitempty"`
	TrainLoss     *float64 `json:"train_loss,omitempty"`
	TrainAccuracy *float64 `json:"train_accuracy,omitempty"`
	ValCost       *float64 `json:"val_cost,omitempty"`
	ValLoss       *float64 `json:"val_loss,omitempty"`
	ValAccuracy   *float64 `json:"val_accuracy,omitempty"`
	TestCost      *float64 `json:"test_cost,omitempty"`
	TestLoss      *float64 `json:"test_loss,omitempty"`
	TestAccuracy  *float64 `json:"test_accuracy,omitempty"`
}

type metricsJSON struct {
	TrainCost     *jsonFloat `json:"train_cost,omitempty"`
	TrainLoss     *jsonFloat `json:"train_loss,omitempty"`
	TrainAccuracy *jsonFloat `json:"train_accuracy,omitempty"`
	ValCost       *jsonFloat `json:"val_cost,omitempty"`
	ValLoss       *jsonFloat `json:"val_loss,omitempty"`
	ValAccuracy   *jsonFloat `json:"val_accuracy,omitempty"`
	TestCost      *jsonFloat `json:"test_cost,omitempty"`
	TestLoss      *jsonFloat `json:"test_loss,omitempty"`
	TestAccuracy  *jsonFloat `json:"test_accuracy,omitempty"`
}

// MarshalJSON writes non-finite values as strings, which encoding/json
// otherwise rejects, so a diverged trial can be stored.
func (m Metrics) MarshalJSON() ([]byte, error) {
	return json.Marshal(metricsJSON{
		(*jsonFloat)(m.TrainCost), (*jsonFloat)(m.TrainLoss), (*jsonFloat)(m.TrainAccuracy),
		(*jsonFloat)(m.ValCost), (*jsonFloat)(m.ValLoss), (*jsonFloat)(m.ValAccuracy),
		(*jsonFloat)(m.TestCost), (*jsonFloat)(m.TestLoss), (*jsonFloat)(m.TestAccuracy),
	})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (m *Metrics) UnmarshalJSON(b []byte) error {
	var w metricsJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = Metrics{
		(*float64)(w.TrainCost), (*float64)(w.TrainLoss), (*float64)(w.TrainAccuracy),
		(*float64)(w.ValCost), (*float64)(w.ValLoss), (*float64)(w.ValAccuracy),
		(*float64)(w.TestCost), (*float64)(w.TestLoss), (*float64)(w.TestAccuracy),
	}
	return nil
}

// jsonFloat is a float64 whose JSON form allows "NaN", "+Inf" and "-Inf".
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.AppendQuote(nil, strconv.FormatFloat(v, 'g', -1, 64)), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		var err error
		if s, err = strconv.Unquote(s); err != nil {
			return fmt.Errorf("bad float %s: %w", b, err)
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("bad float %s: %w", b, err)
	}
	*f = jsonFloat(v)
	return nil
}

// Record is one point of a trial's training history.
type Record struct {
	Step          int     `json:"step"`
	Epoch         float64 `json:"epoch"`
	Eta           float64 `json:"eta"`
	TrainCost     float64 `json:"train_cost"`
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	ValCost       float64 `json:"val_cost"`
	ValLoss       float64 `json:"val_loss"`
	ValAccuracy   float64 `json:"val_accuracy"`
}

// Weights are a trained two-layer network and the input normalisation it
// was trained with: W1 is M x D and W2 is K x M, both row-major. Mean and Std
// have D entries each, or none if inputs were not normalised.
type Weights struct {
	M    int       `json:"m"`
	D    int       `json:"d"`
	K    int       `json:"k"`
	W1   []float64 `json:"w1"`
	B1   []float64 `json:"b1"`
	W2   []float64 `json:"w2"`
	B2   []float64 `json:"b2"`
	Mean []float64 `json:"mean,omitempty"`
	Std  []float64 `json:"std,omitempty"`
}
