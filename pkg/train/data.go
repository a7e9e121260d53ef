package train

// Examples is one split of a data set as raw pixels. Rows are contiguous:
// example i is Pixels[i*D : (i+1)*D]. The slices are shared read-only by
// every trial; training normalises on the fly, so the data is held once in
// its most compact form.
type Examples struct {
	Pixels []uint8
	Labels []uint8
	N      int
}

// Data is what a training run reads. Mean and Std are the per-feature
// statistics of the training split in raw pixel units, Std already guarded
// against zero: x = (pixel - Mean) / Std, computed in float64.
type Data struct {
	D, K             int
	Mean, Std        []float64
	Train, Val, Test Examples
}
