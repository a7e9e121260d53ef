package search

import (
	"fmt"
	"strings"
)

// Starter returns a commented config for source (embedded, idx or
// cifar10) with a coarse, a fine and a final stage, ready to run once the
// data is where its comment says.
func Starter(source string) ([]byte, error) {
	var data string
	switch source {
	case SourceEmbedded, "":
		data = `data:
  source: embedded            # the Fashion-MNIST subset built into sweep; no files needed
  # validation: {holdout: 1000}   # the last N training examples validate (default 1000)`
	case SourceIDX:
		data = `data:
  source: idx                 # MNIST-style IDX files, gzipped or not
  dir: /usr/share/datasets/fashion-mnist   # Debian: apt-get install dataset-fashion-mnist
  # validation: {holdout: 5000}   # the last N training examples validate (default 5000)`
	case SourceCIFAR10:
		data = `data:
  source: cifar10             # CIFAR-10, python (pickle) or binary version
  dir: cifar-10-batches-py    # unpack cifar-10-python.tar.gz here; relative to this file
  # train: [data_batch_1, data_batch_2, data_batch_3, data_batch_4, data_batch_5]
  # test: [test_batch]
  # validation: {holdout: 5000}   # or {files: [data_batch_2]}`
	default:
		return nil, fmt.Errorf("search: no starter config for data source %q (want embedded, idx or cifar10)", source)
	}
	return []byte(strings.Replace(starterTemplate, "{{data}}", data, 1)), nil
}

const starterTemplate = `# A sweep over the L2 penalty lambda of a two-layer network (ReLU hidden
# layer, softmax, cross-entropy + lambda (||W1||² + ||W2||²)) trained with
# cyclical learning rates: a coarse grid, a finer random search around the
# best coarse values, then the winner retrained longer.
#
#   sweep run THIS_FILE           train (again: resume)
#   sweep run THIS_FILE --plan    list the trials without training
#   sweep report                  rank the results
name: my-sweep                # the database is my-sweep.db unless --db says otherwise
seed: 111                     # initial weights and samplers; same seed, same results

{{data}}

model:
  hidden: 50                  # m, hidden units

training:
  batch_size: 100
  eta_min: 1e-5               # the learning rate cycles between eta_min...
  eta_max: 1e-1               # ...and eta_max
  step_size: 2 epochs         # n_s, half a cycle: "K epochs" or a number of updates
  cycles: 2
  lambda: 1e-4                # the default; the stages below search it
  records_per_cycle: 10       # history points per cycle (cost, loss, accuracy)
  # schedule: triangular      # triangular | triangular2 | exp_range (with gamma)
  # shuffle: false            # reshuffle the batches every epoch
  # precision: float32        # float32 (the default) or float64

search:
  # workers: 2                # trials trained at once (default: all CPUs)
  stages:
    - name: coarse
      sampler: grid           # grid | random | sobol
      trials: 8               # grid: points per dimension, ends included
      space:
        lambda: {log10: [-5, -1]}        # lambda = 10^u, u in [-5, -1]
    - name: fine
      after: coarse
      sampler: random
      trials: 8
      space:
        lambda: {log10: refine}          # the range comes from coarse's results:
      refine: {top: 3, margin: 0.25}     # its top 3 trials, widened by 0.25 decades
    - name: final
      after: fine
      best: 1                 # retrain the best configuration of all earlier stages
      training: {cycles: 3}   # overrides for this stage only
`
