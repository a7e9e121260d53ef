package distributed

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// wireVersion is the version of the messages below; a worker gives a
// segment of another version back (a newer coordinator's, for a newer
// worker) and terminates malformed ones. Version 2 publishes each trial's
// segments and results on subjects of their own; version 3 carries a
// result that fits in its message inline.
const wireVersion = 3

const (
	workStream    = "SWEEP_WORK"
	resultsStream = "SWEEP_RESULTS"
	blobBucket    = "SWEEP_BLOBS"
	workConsumer  = "workers"
	// DefaultAckWait is how long a work message may go without an ack or
	// an in-progress ack before it is delivered again.
	DefaultAckWait = 30 * time.Second
	// maxMessage bounds what a worker or coordinator decodes from a
	// message: nats-server's default max_payload. A result larger than a
	// message allows is an object.
	maxMessage = 1 << 20
)

// errProtocol is wrapped by every error about a malformed message, and
// errOtherVersion by those about a message of another version.
var (
	errProtocol     = errors.New("distributed: malformed message")
	errOtherVersion = errors.New("another version")
)

// A trial's work subject holds at most its one segment; codeStoreFailed
// is the server's error code when a publish would exceed that.
func workSubject(key, trial string) string { return "sweep.work." + key + "." + trial }

const codeStoreFailed = 10077

// A result's subject names its trial, so that a coordinator can see a
// result waiting for it before it queues the trial's segment again.
func resultsSubject(key, trial string) string { return "sweep.results." + key + "." + trial }
func progressSubject(key string) string       { return "sweep.progress." + key }

func checkpointObject(key, trial string) string { return key + "/" + trial + "/ck" }

// SweepKey identifies one sweep database on a shared server: a hash of the
// sweep's name and the creation time stored in its database, so that it is
// the same after a restart and differs between two databases of one name.
func SweepKey(sw store.Sweep) string {
	sum := sha256.Sum256([]byte(sw.Name + "\x00" + sw.Created.UTC().Format(time.RFC3339Nano)))
	return hex.EncodeToString(sum[:8])
}

// dataRef names a trial's data set so that a worker can find its own copy:
// the source, the base name of the coordinator's data directory and the
// base names of its files, never a path to open. The fingerprint decides
// whether a copy is the same data.
type dataRef struct {
	Source      string   `json:"source"`
	Dir         string   `json:"dir,omitempty"`
	Train       []string `json:"train,omitempty"`
	Test        []string `json:"test,omitempty"`
	ValFiles    []string `json:"validation_files,omitempty"`
	Holdout     int      `json:"holdout,omitempty"`
	Fingerprint string   `json:"fingerprint"`
}

func newDataRef(sec config.DataSection, fingerprint string) dataRef {
	base := func(names []string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Base(n))
		}
		return out
	}
	ref := dataRef{Source: sec.Source, Train: base(sec.Train), Test: base(sec.Test),
		ValFiles: base(sec.Validation.Files), Holdout: sec.Validation.Holdout, Fingerprint: fingerprint}
	if sec.Dir != "" {
		ref.Dir = filepath.Base(sec.Dir)
	}
	return ref
}

// section is the data section that reads ref's files in dir.
func (ref dataRef) section(dir string) config.DataSection {
	return config.DataSection{Source: ref.Source, Dir: dir, Train: ref.Train, Test: ref.Test,
		Validation: config.Validation{Holdout: ref.Holdout, Files: ref.ValFiles}}
}

// segmentMsg is a work message: one segment of one trial.
type segmentMsg struct {
	Version int    `json:"v"`
	Sweep   string `json:"sweep"` // the sweep key
	Name    string `json:"name"`  // the sweep's name, for log lines
	Trial   string `json:"trial"`
	// Encoded is the trial's canonical encoding (config.EncodeTrial),
	// whose hash is Trial: the worker trains exactly what it says.
	Encoded         string  `json:"encoded"`
	Data            dataRef `json:"data"`
	CheckpointEvery int     `json:"checkpoint_every,omitempty"`
}

// decodeSegment reads and checks a work message: its version, and that
// its encoding is canonical and hashes to its trial id.
func decodeSegment(b []byte) (segmentMsg, config.Trial, error) {
	var m segmentMsg
	if len(b) > maxMessage {
		return m, config.Trial{}, fmt.Errorf("%w: work message of %d bytes", errProtocol, len(b))
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, config.Trial{}, fmt.Errorf("%w: work message: %w", errProtocol, err)
	}
	if m.Version != wireVersion {
		return m, config.Trial{}, fmt.Errorf("%w: %w: work message of version %d, this worker reads version %d", errProtocol, errOtherVersion, m.Version, wireVersion)
	}
	if m.CheckpointEvery < 0 {
		return m, config.Trial{}, fmt.Errorf("%w: work message: checkpoint_every %d", errProtocol, m.CheckpointEvery)
	}
	// Names only: a worker looks them up under its own --data-dir and
	// never opens a path a message gives.
	names := append([]string{m.Data.Dir}, m.Data.Train...)
	for _, n := range append(append(names, m.Data.Test...), m.Data.ValFiles...) {
		if n != "" && (n != filepath.Base(n) || n == "." || n == ".." || strings.ContainsAny(n, `/\`)) {
			return m, config.Trial{}, fmt.Errorf("%w: trial %s: data name %q is not a plain file name", errProtocol, m.Trial, n)
		}
	}
	if v := trialEncoding(m.Encoded); v != config.TrialEncoding {
		return m, config.Trial{}, fmt.Errorf("%w: %w: trial %s of encoding version %d, this worker reads version %d", errProtocol, errOtherVersion, m.Trial, v, config.TrialEncoding)
	}
	t, err := config.DecodeTrial([]byte(m.Encoded))
	if err != nil {
		return m, t, fmt.Errorf("%w: trial %s: %w", errProtocol, m.Trial, err)
	}
	if id := config.TrialID([]byte(m.Encoded)); id != m.Trial {
		return m, t, fmt.Errorf("%w: trial %s: its encoding hashes to %s", errProtocol, m.Trial, id)
	}
	// Another numerics version trains other bits: the trial is not this
	// worker's to train, though a worker of that version may.
	if t.Numerics != train.AlgorithmVersion {
		return m, t, fmt.Errorf("%w: %w: trial %s of numerics version %d, this worker trains version %d", errProtocol, errOtherVersion, m.Trial, t.Numerics, train.AlgorithmVersion)
	}
	if t.Data != m.Data.Fingerprint {
		return m, t, fmt.Errorf("%w: trial %s: its data fingerprint %s differs from the data reference's %s", errProtocol, m.Trial, t.Data, m.Data.Fingerprint)
	}
	return m, t, nil
}

// trialEncoding is the encoding version of an encoded trial: version 1
// has no "encoding" key, later ones say their number there (see
// config.TrialEncoding). Anything else counts as version 1, whose decoder
// then rejects it as malformed rather than as another version's.
func trialEncoding(enc string) int {
	var v struct {
		Encoding int `json:"encoding"`
	}
	if json.Unmarshal([]byte(enc), &v) != nil || v.Encoding < 1 {
		return 1
	}
	return v.Encoding
}

// versionKey names the versions of a segment, so that a worker logs each
// combination it cannot train once.
func versionKey(seg segmentMsg, tr config.Trial) string {
	return fmt.Sprintf("wire %d, encoding %d, numerics %d", seg.Version, trialEncoding(seg.Encoded), tr.Numerics)
}

// ran is where a segment trains: it becomes the trial's store.Segment.
type ran struct {
	Worker string `json:"worker"`
	Host   string `json:"host"`
	Kernel string `json:"kernel"`
	From   int    `json:"from"`
}

func (r ran) segment() store.Segment {
	return store.Segment{Worker: r.Worker, Host: r.Host, Kernel: r.Kernel, From: r.From}
}

// Result statuses.
const (
	statusDone     = "done"
	statusDiverged = "diverged"
	statusFailed   = "failed"
)

// resultMsg is a results message. The result itself (a gob
// resultPayload) is Payload if the message can hold it, else the object
// Object: most results are a few hundred kilobytes, and an object costs
// the worker an upload and the coordinator a download and a delete, each
// several round trips and server writes.
type resultMsg struct {
	Version int    `json:"v"`
	Trial   string `json:"trial"`
	Ran     ran    `json:"ran"`
	Status  string `json:"status"`
	Error   string `json:"error,omitempty"`
	Object  string `json:"object,omitempty"`
	Payload []byte `json:"payload,omitempty"`
}

// resultPayload is a result object: what train.Train returned.
type resultPayload struct {
	Result          *train.Result // done
	DivergedStep    int           // diverged
	DivergedSeconds float64       // diverged: its training seconds
	History         []train.Record
}

// progressMsg is a progress notice: a history record, that the trial's
// checkpoint object holds a newer checkpoint (with the latest record not
// sent yet, if any), that the worker gave the segment back, or (none of
// these) that a worker started the segment. Gob, because a record's
// floats may be NaN.
type progressMsg struct {
	Trial      string
	Ran        ran
	Record     *train.Record
	Checkpoint int // the step of the new checkpoint, if > 0
	// GaveBack says the worker stopped and gave the segment back to
	// the queue (sent just before its nak).
	GaveBack bool
}

func encodeGob(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, fmt.Errorf("distributed: encode: %w", err)
	}
	return buf.Bytes(), nil
}

func decodeGob(b []byte, v any) error {
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(v); err != nil {
		return fmt.Errorf("%w: %w", errProtocol, err)
	}
	return nil
}
