package train

import (
	"errors"
	"fmt"
)

// Examples is one split of a data set as raw pixels. Rows are contiguous:
// example i is Pixels[i*D : (i+1)*D].
type Examples struct {
	Pixels []uint8
	Labels []uint8
	N      int
}

// Data is a loaded data set before preparation. Mean and Std are the
// per-feature statistics of the training split in raw pixel units, Std
// already guarded against zero: x = (pixel - Mean) / Std.
type Data struct {
	D, K             int
	Mean, Std        []float64
	Train, Val, Test Examples
}

// Dataset is a data set prepared for training: the training and validation
// splits normalised once into float32 rows, shared read-only by every trial
// so that no trial copies or re-normalises the data. The test split stays in
// raw pixels: it is evaluated once per trial in float64, normalised exactly as
// (pixel - Mean) / Std, so that anyone holding the exported weights and
// statistics reproduces the test accuracy bit for bit.
type Dataset struct {
	D, K      int
	Mean, Std []float64
	TrainX    []float32 // N x D
	TrainY    []uint8
	ValX      []float32
	ValY      []uint8
	Test      Examples
}

// NTrain is the number of training examples.
func (ds *Dataset) NTrain() int { return len(ds.TrainY) }

// NVal is the number of validation examples.
func (ds *Dataset) NVal() int { return len(ds.ValY) }

// ErrData is wrapped by every error about a data set's shape.
var ErrData = errors.New("invalid data set")

// Prepare checks d's shapes and normalises its training and validation
// splits.
func Prepare(d Data) (*Dataset, error) {
	if d.D < 1 || d.K < 2 {
		return nil, fmt.Errorf("train: %w: need at least 1 feature and 2 classes, got d=%d K=%d", ErrData, d.D, d.K)
	}
	if len(d.Mean) != d.D || len(d.Std) != d.D {
		return nil, fmt.Errorf("train: %w: %d features but %d means and %d standard deviations", ErrData, d.D, len(d.Mean), len(d.Std))
	}
	for j, s := range d.Std {
		if !(s > 0) {
			return nil, fmt.Errorf("train: %w: standard deviation of feature %d is %g; guard it before training", ErrData, j, s)
		}
	}
	for _, s := range []struct {
		name string
		e    Examples
	}{{"training", d.Train}, {"validation", d.Val}, {"test", d.Test}} {
		if s.e.N < 1 {
			return nil, fmt.Errorf("train: %w: the %s split is empty", ErrData, s.name)
		}
		if len(s.e.Pixels) != s.e.N*d.D || len(s.e.Labels) != s.e.N {
			return nil, fmt.Errorf("train: %w: the %s split has %d pixels and %d labels for %d examples of %d features", ErrData, s.name, len(s.e.Pixels), len(s.e.Labels), s.e.N, d.D)
		}
		for i, y := range s.e.Labels {
			if int(y) >= d.K {
				return nil, fmt.Errorf("train: %w: %s example %d has label %d, want < %d", ErrData, s.name, i, y, d.K)
			}
		}
	}
	return &Dataset{
		D: d.D, K: d.K, Mean: d.Mean, Std: d.Std,
		TrainX: normalise(d.Train.Pixels, d.Mean, d.Std), TrainY: d.Train.Labels,
		ValX: normalise(d.Val.Pixels, d.Mean, d.Std), ValY: d.Val.Labels,
		Test: d.Test,
	}, nil
}

func normalise(pixels []uint8, mean, std []float64) []float32 {
	d := len(mean)
	x := make([]float32, len(pixels))
	for i := 0; i < len(pixels); i += d {
		row, out := pixels[i:i+d], x[i:i+d]
		for j, p := range row {
			out[j] = float32((float64(p) - mean[j]) / std[j])
		}
	}
	return x
}
