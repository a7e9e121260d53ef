package store

import (
	"encoding/binary"
	"fmt"
	"math"
)

// recordSize is the value size of one history record: 8 float64s.
const recordSize = 8 * 8

func encodeRecord(buf []byte, r Record) []byte {
	for _, v := range [8]float64{r.Epoch, r.Eta, r.TrainCost, r.TrainLoss, r.TrainAccuracy, r.ValCost, r.ValLoss, r.ValAccuracy} {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
	}
	return buf
}

func decodeRecord(k, v []byte) (Record, error) {
	if len(k) != 8 || len(v) != recordSize {
		return Record{}, fmt.Errorf("bad history record (key %d bytes, value %d bytes)", len(k), len(v))
	}
	var f [8]float64
	for i := range f {
		f[i] = math.Float64frombits(binary.LittleEndian.Uint64(v[8*i:]))
	}
	return Record{
		Step:  int(binary.BigEndian.Uint64(k)),
		Epoch: f[0], Eta: f[1],
		TrainCost: f[2], TrainLoss: f[3], TrainAccuracy: f[4],
		ValCost: f[5], ValLoss: f[6], ValAccuracy: f[7],
	}, nil
}

// weightsHeader is m, d, k and the length of mean/std, as LE uint64s.
const weightsHeader = 4 * 8

func (w *Weights) validate() error {
	if w.M <= 0 || w.D <= 0 || w.K <= 0 {
		return fmt.Errorf("bad weight dims m=%d d=%d k=%d", w.M, w.D, w.K)
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"W1", len(w.W1), w.M * w.D},
		{"b1", len(w.B1), w.M},
		{"W2", len(w.W2), w.K * w.M},
		{"b2", len(w.B2), w.K},
	} {
		if c.got != c.want {
			return fmt.Errorf("%s has %d values, want %d", c.name, c.got, c.want)
		}
	}
	if len(w.Mean) != len(w.Std) || (len(w.Mean) != 0 && len(w.Mean) != w.D) {
		return fmt.Errorf("mean/std have %d/%d values, want both %d or both 0", len(w.Mean), len(w.Std), w.D)
	}
	return nil
}

func encodeWeights(w *Weights) []byte {
	n := w.M*w.D + w.M + w.K*w.M + w.K + 2*len(w.Mean)
	buf := make([]byte, 0, weightsHeader+8*n)
	for _, v := range [4]int{w.M, w.D, w.K, len(w.Mean)} {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(v))
	}
	for _, s := range [][]float64{w.W1, w.B1, w.W2, w.B2, w.Mean, w.Std} {
		for _, v := range s {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
	}
	return buf
}

func decodeWeights(b []byte) (*Weights, error) {
	if len(b) < weightsHeader {
		return nil, fmt.Errorf("weights blob too short (%d bytes)", len(b))
	}
	var h [4]uint64
	for i := range h {
		h[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	// Bound the header before multiplying so a damaged blob cannot overflow.
	const limit = 1 << 24
	if h[0] > limit || h[1] > limit || h[2] > limit || h[3] > limit {
		return nil, fmt.Errorf("weights header out of range %v", h)
	}
	w := &Weights{M: int(h[0]), D: int(h[1]), K: int(h[2])}
	sizes := [6]int{w.M * w.D, w.M, w.K * w.M, w.K, int(h[3]), int(h[3])}
	total := 0
	for _, n := range sizes {
		total += n
	}
	if len(b) != weightsHeader+8*total {
		return nil, fmt.Errorf("weights blob has %d bytes, want %d", len(b), weightsHeader+8*total)
	}
	all := make([]float64, total)
	for i := range all {
		all[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[weightsHeader+8*i:]))
	}
	dst := [6]*[]float64{&w.W1, &w.B1, &w.W2, &w.B2, &w.Mean, &w.Std}
	for i, n := range sizes {
		if n > 0 {
			*dst[i] = all[:n:n]
		}
		all = all[n:]
	}
	if err := w.validate(); err != nil {
		return nil, err
	}
	return w, nil
}

// Stage trial entries: a flags byte then the trial id.
const flagReused = 1

func encodeEntry(id string, reused bool) []byte {
	var flags byte
	if reused {
		flags = flagReused
	}
	return append([]byte{flags}, id...)
}

func decodeEntry(v []byte) (string, bool, error) {
	if len(v) < 2 {
		return "", false, fmt.Errorf("bad stage entry %q", v)
	}
	return string(v[1:]), v[0]&flagReused != 0, nil
}
