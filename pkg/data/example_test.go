package data_test

import (
	"context"
	"fmt"

	"github.com/sweep-ml/sweep/pkg/data"
)

// Load the default data set compiled into the binary.
func ExampleLoad() {
	ds, err := data.Load(context.Background(), data.Spec{Source: data.SourceEmbedded})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ds.Source, ds.Format, "D =", ds.D, "K =", ds.K)
	fmt.Println("train", ds.Train.N, "val", ds.Val.N, "test", ds.Test.N)
	for _, f := range ds.Files {
		fmt.Println(f.Role, f.Path)
	}
	// Output:
	// embedded idx.gz D = 784 K = 10
	// train 9000 val 1000 test 2000
	// train embedded:train-images-idx3-ubyte.gz
	// train embedded:train-labels-idx1-ubyte.gz
	// test embedded:t10k-images-idx3-ubyte.gz
	// test embedded:t10k-labels-idx1-ubyte.gz
}
