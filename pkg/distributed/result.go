package distributed

import (
	"fmt"
	"math"

	"github.com/sweep-ml/sweep/pkg/train"
)

// shape is what a trial's result and checkpoints must fit: its settings
// and its data set's dimensions.
type shape struct {
	cfg        train.Config
	d, k, nTrn int
}

func (s shape) total() int { return s.cfg.TotalSteps(s.nTrn) }

// maxPayload bounds the size of a result or checkpoint object of a trial
// of shape s: its weights and its history, each gob value at most 9 bytes
// (plus a field byte), with room for names and framing. A larger object is
// malformed and is never read into memory.
func (s shape) maxPayload() int64 {
	m, d, k := int64(s.cfg.Hidden), int64(s.d), int64(s.k)
	floats := m*d + m + k*m + k
	records := 1 + int64(s.cfg.Cycles)*int64(s.cfg.RecordsPerCycle)
	return 2*(10*floats+128*records) + 1<<16
}

// decodeResult reads a result object of the given status for a trial of
// shape s. It returns what train.Train returned (the result, or the
// diverged error), or malformed: a result that does not fit the trial
// would panic or corrupt the runner that stores it.
func decodeResult(status string, blob []byte, s shape) (res *train.Result, terr error, malformed error) {
	if int64(len(blob)) > s.maxPayload() {
		return nil, nil, fmt.Errorf("%w: result object of %d bytes, at most %d expected", errProtocol, len(blob), s.maxPayload())
	}
	var p resultPayload
	if err := decodeGob(blob, &p); err != nil {
		return nil, nil, err
	}
	total := s.total()
	switch status {
	case statusDone:
		r := p.Result
		switch {
		case r == nil:
			return nil, nil, fmt.Errorf("%w: a done result without its result", errProtocol)
		case len(r.History) == 0 || int64(len(r.History)) > 1+int64(s.cfg.Cycles)*int64(s.cfg.RecordsPerCycle):
			return nil, nil, fmt.Errorf("%w: a result of %d history records", errProtocol, len(r.History))
		case !seconds(r.Seconds):
			return nil, nil, fmt.Errorf("%w: a result of %v training seconds", errProtocol, r.Seconds)
		case r.Steps != total || r.History[len(r.History)-1].Step != total:
			return nil, nil, fmt.Errorf("%w: a result of %d steps ending at step %d, the trial has %d", errProtocol, r.Steps, r.History[len(r.History)-1].Step, total)
		}
		w := r.Weights
		if w.M != s.cfg.Hidden || w.D != s.d || w.K != s.k ||
			len(w.W1) != w.M*w.D || len(w.B1) != w.M || len(w.W2) != w.K*w.M || len(w.B2) != w.K {
			return nil, nil, fmt.Errorf("%w: result weights of a %dx%dx%d network, the trial trains %dx%dx%d", errProtocol, w.K, w.M, w.D, s.k, s.cfg.Hidden, s.d)
		}
		return r, nil, nil
	case statusDiverged:
		if p.DivergedStep < 0 || p.DivergedStep > total || int64(len(p.History)) > 1+int64(s.cfg.Cycles)*int64(s.cfg.RecordsPerCycle) || !seconds(p.DivergedSeconds) {
			return nil, nil, fmt.Errorf("%w: diverged at step %d with %d records after %v seconds, the trial has %d steps", errProtocol, p.DivergedStep, len(p.History), p.DivergedSeconds, total)
		}
		return nil, &train.DivergedError{Step: p.DivergedStep, History: p.History, Seconds: p.DivergedSeconds}, nil
	}
	return nil, nil, fmt.Errorf("%w: result status %q", errProtocol, status)
}

// seconds reports whether x can be a training time: the store's JSON has
// no NaN or infinity.
func seconds(x float64) bool { return x >= 0 && !math.IsInf(x, 1) }
