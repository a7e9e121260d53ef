package store

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sweep-ml/sweep/internal/atomicfile"
)

// StatusSnapshot is what a running sweep publishes beside its database,
// because bbolt's lock keeps every other process out of the database itself.
type StatusSnapshot struct {
	PID     int       `json:"pid"`
	Updated time.Time `json:"updated"`
	// Live is true while the writer runs; its last snapshot sets it false.
	Live    bool           `json:"live"`
	Sweep   string         `json:"sweep,omitempty"`
	Stages  []StageCounts  `json:"stages,omitempty"`
	Running []RunningTrial `json:"running,omitempty"`
}

// StageCounts counts a stage's trials by status.
type StageCounts struct {
	Name   string         `json:"name"`
	Total  int            `json:"total"`
	Counts map[Status]int `json:"counts"`
}

// RunningTrial is the progress of one trial in training.
type RunningTrial struct {
	ID         string             `json:"id"`
	Stage      string             `json:"stage"`
	Params     map[string]float64 `json:"params,omitempty"`
	Epoch      float64            `json:"epoch"`
	Step       int                `json:"step"`
	TotalSteps int                `json:"total_steps"`
	// ValAccuracy is nil before the first evaluation; it may be NaN.
	ValAccuracy *float64 `json:"val_accuracy,omitempty"`
	// Worker, Host and Kernel say where the trial trains now (see
	// Segment); Worker is "" in the run process's own pool.
	Worker string `json:"worker,omitempty"`
	Host   string `json:"host,omitempty"`
	Kernel string `json:"kernel,omitempty"`
	// Queued says the trial waits in a remote executor's queue: no
	// worker has begun it yet, or the last one gave it back.
	Queued bool `json:"queued,omitempty"`
}

// runningTrialJSON shadows ValAccuracy so a NaN can be written.
type runningTrialJSON struct {
	plainRunningTrial
	ValAccuracy *jsonFloat `json:"val_accuracy,omitempty"`
}

type plainRunningTrial RunningTrial

// MarshalJSON allows a NaN validation accuracy, which encoding/json rejects.
func (r RunningTrial) MarshalJSON() ([]byte, error) {
	return json.Marshal(runningTrialJSON{plainRunningTrial(r), (*jsonFloat)(r.ValAccuracy)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *RunningTrial) UnmarshalJSON(b []byte) error {
	var w runningTrialJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = RunningTrial(w.plainRunningTrial)
	r.ValAccuracy = (*float64)(w.ValAccuracy)
	return nil
}

// StatusPath is where the snapshot of the sweep in dbPath lives.
func StatusPath(dbPath string) string { return dbPath + ".status" }

// WriteStatus atomically replaces the snapshot beside dbPath
// (internal/atomicfile), so readers never see a partial snapshot. It does
// not fsync: a snapshot lost in a crash is rewritten by the next run and is
// never needed to resume.
func WriteStatus(dbPath string, s StatusSnapshot) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("store: encode status: %w", err)
	}
	err = atomicfile.Write(StatusPath(dbPath), atomicfile.Options{Replace: true, Perm: 0o600}, func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: write status: %w", err)
	}
	return nil
}

// ReadStatus reads the snapshot beside dbPath. A missing snapshot is an error
// matching fs.ErrNotExist.
func ReadStatus(dbPath string) (StatusSnapshot, error) {
	var s StatusSnapshot
	data, err := os.ReadFile(StatusPath(dbPath))
	if err != nil {
		return s, fmt.Errorf("store: read status: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("store: read status %s: %w", StatusPath(dbPath), err)
	}
	return s, nil
}

// StatusStaleAfter is a reasonable staleness window for IsLive when the
// writer refreshes its snapshot every few seconds.
const StatusStaleAfter = 30 * time.Second

// IsLive reports whether the snapshot describes a sweep running now: marked
// live, refreshed within staleAfter of now, and its process still exists.
// Both checks are needed: a killed sweep never clears Live, and its PID may
// be reused by an unrelated process.
func (s StatusSnapshot) IsLive(now time.Time, staleAfter time.Duration) bool {
	return s.Live && now.Sub(s.Updated) <= staleAfter && processAlive(s.PID)
}
