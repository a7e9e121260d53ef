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

// Prepare checks a loaded data set's shapes and returns it ready for
// training, its training and validation splits normalised. k is the number
// of classes; mean and std are the per-feature statistics of the training
// split in raw pixel units, one per feature, std already guarded against
// zero: x = (pixel - mean) / std.
func Prepare(k int, mean, std []float64, trainSplit, val, test Examples) (*Dataset, error) {
	d := len(mean)
	if d < 1 || k < 2 {
		return nil, fmt.Errorf("train: %w: need at least 1 feature and 2 classes, got d=%d K=%d", ErrData, d, k)
	}
	if len(std) != d {
		return nil, fmt.Errorf("train: %w: %d features but %d means and %d standard deviations", ErrData, d, len(mean), len(std))
	}
	for j, s := range std {
		if !(s > 0) {
			return nil, fmt.Errorf("train: %w: standard deviation of feature %d is %g; guard it before training", ErrData, j, s)
		}
	}
	for _, s := range []struct {
		name string
		e    Examples
	}{{"training", trainSplit}, {"validation", val}, {"test", test}} {
		if s.e.N < 1 {
			return nil, fmt.Errorf("train: %w: the %s split is empty", ErrData, s.name)
		}
		if len(s.e.Pixels) != s.e.N*d || len(s.e.Labels) != s.e.N {
			return nil, fmt.Errorf("train: %w: the %s split has %d pixels and %d labels for %d examples of %d features", ErrData, s.name, len(s.e.Pixels), len(s.e.Labels), s.e.N, d)
		}
		for i, y := range s.e.Labels {
			if int(y) >= k {
				return nil, fmt.Errorf("train: %w: %s example %d has label %d, want < %d", ErrData, s.name, i, y, k)
			}
		}
	}
	return &Dataset{
		D: d, K: k, Mean: mean, Std: std,
		TrainX: normalise(trainSplit.Pixels, mean, std), TrainY: trainSplit.Labels,
		ValX: normalise(val.Pixels, mean, std), ValY: val.Labels,
		Test: test,
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
