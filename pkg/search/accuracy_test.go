package search

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/train"
)

// The accuracy bar on real data: full Fashion-MNIST, m = 50,
// lambda = 1e-4, 2 cycles of n_s = 2 epochs, batch 100, 5000 held out
// (configs/fashion-mnist.yaml's base settings) reaches test accuracy
// >= 0.87; bench/numpy_ref.py reaches 0.874 with the same recipe. The
// default precision, float32, must stay within 0.3 points of float64.
func TestFashionMNISTAccuracy(t *testing.T) {
	if raceEnabled {
		t.Skip("skipped under the race detector: ten times slower, and it runs without it")
	}
	cfg, err := config.Load(filepath.Join("..", "..", "configs", "fashion-mnist.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Data.Dir, "train-images-idx3-ubyte.gz")); err != nil {
		t.Skipf("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): %v", err)
	}
	tc, err := cfg.TrainConfig(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tc.Hidden != 50 || tc.Lambda != 1e-4 || tc.Cycles != 2 || tc.StepSize.Epochs != 2 || tc.BatchSize != 100 || cfg.Data.Validation.Holdout != 5000 {
		t.Fatalf("configs/fashion-mnist.yaml no longer holds the reference recipe: %+v, holdout %d", tc, cfg.Data.Validation.Holdout)
	}
	ds, err := LoadData(t.Context(), cfg.Data)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Prepared.NTrain() != 55000 || ds.Prepared.NVal() != 5000 || ds.Info.Test.N != 10000 {
		t.Fatalf("split sizes %d/%d/%d", ds.Prepared.NTrain(), ds.Prepared.NVal(), ds.Info.Test.N)
	}
	if tc.Precision != train.Float32 {
		t.Fatalf("default precision is %s; this test compares float32 with float64", tc.Precision)
	}
	accuracy := map[train.Precision]float64{}
	for _, p := range []train.Precision{train.Float32, train.Float64} {
		tc.Precision = p
		res, err := train.Train(t.Context(), tc, ds.Prepared, train.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: test accuracy %.4f, validation %.4f, %.1fs (kernel %s)", p, res.Test.Accuracy, res.History[len(res.History)-1].ValAccuracy, res.Seconds, res.Kernel)
		if res.Test.Accuracy < 0.87 {
			t.Errorf("%s: test accuracy %.4f < 0.87", p, res.Test.Accuracy)
		}
		accuracy[p] = res.Test.Accuracy
	}
	if d := math.Abs(accuracy[train.Float32] - accuracy[train.Float64]); d > 0.003 {
		t.Errorf("float32 test accuracy is %.2f points from float64's, more than 0.3", 100*d)
	}
}
