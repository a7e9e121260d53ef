package search

import (
	"context"
	"runtime/debug"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/data"
	"github.com/sweep-ml/sweep/pkg/train"
)

// Data is a data set loaded once and shared read-only by every trial.
type Data struct {
	// Info describes the files, statistics and fingerprint. Its training
	// and validation pixels are dropped once Prepared holds them normalised,
	// so the examples are in memory once.
	Info     *data.Dataset
	Prepared *train.Dataset
}

// LoadData reads, checks and prepares the data set of a data section,
// stopping with ctx's error once ctx is done.
func LoadData(ctx context.Context, sec config.DataSection) (*Data, error) {
	info, err := data.Load(ctx, config.DataSpec(sec))
	if err != nil {
		return nil, err
	}
	// Return the loader's file buffers to the system before the float32
	// copy is allocated, or both count in the peak (CIFAR-10: 150 MB).
	debug.FreeOSMemory()
	prepared, err := train.Prepare(info.K, info.Mean, info.Std, examples(info.Train), examples(info.Val), examples(info.Test))
	if err != nil {
		return nil, err
	}
	info.Train.Pixels, info.Val.Pixels = nil, nil
	return &Data{Info: info, Prepared: prepared}, nil
}

func examples(s data.Split) train.Examples {
	return train.Examples{Pixels: s.Pixels, Labels: s.Labels, N: s.N}
}
