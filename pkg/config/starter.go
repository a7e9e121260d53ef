package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/sweep-ml/sweep/pkg/train"
)

// Starter returns a commented config named name ("" is my-sweep) for
// source (embedded, idx or cifar10) with a coarse, a fine and a final
// stage, ready to run once the data is where its comment says.
func Starter(source, name string) ([]byte, error) {
	if name == "" {
		name = "my-sweep"
	}
	if err := CheckName(name); err != nil {
		return nil, err
	}
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
		return nil, fmt.Errorf("config: no starter config for data source %q (want embedded, idx or cifar10)", source)
	}
	quoted, err := json.Marshal(name) // a JSON string is a YAML double-quoted scalar
	if err != nil {
		return nil, fmt.Errorf("config: name: %w", err)
	}
	head := fmt.Sprintf("name: %-24s# the database is %s.db unless --db says otherwise", quoted, name)
	out := strings.Replace(starterTemplate, "{{name}}", head, 1)
	out = strings.Replace(out, "{{data}}", data, 1)
	return []byte(strings.Replace(out, "{{settings}}", starterSettings(), 1)), nil
}

// starterSettings lists the table's settings by section with their
// defaults and docs; those not set are shown commented out.
func starterSettings() string {
	var b strings.Builder
	defaults := train.DefaultConfig()
	for _, section := range []string{"model", "training"} {
		b.WriteString(section + ":\n")
		for i := range Table {
			row := &Table[i]
			if row.Section != section {
				continue
			}
			line := row.Key + ": " + yamlValue(row.get(defaults))
			if !row.Starter {
				line = "# " + line
			}
			fmt.Fprintf(&b, "  %-28s# %s\n", line, row.Doc)
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// yamlValue spells a default the way a person writes it: 1e-5, not
// 1e-05 or 0.00001.
func yamlValue(v any) string {
	switch v := v.(type) {
	case float64:
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if mant, exp, ok := strings.Cut(s, "e"); ok {
			sign := exp[:1]
			exp = strings.TrimLeft(exp[1:], "0")
			if sign == "+" {
				sign = ""
			}
			s = mant + "e" + sign + exp
		}
		return s
	case train.StepSize:
		return v.String()
	}
	return fmt.Sprint(v)
}

const starterTemplate = `# A sweep over the L2 penalty lambda of a two-layer network (ReLU hidden
# layer, softmax, cross-entropy + lambda (||W1||² + ||W2||²)) trained with
# cyclical learning rates: a coarse grid, a finer random search around the
# best coarse values, then the winner retrained longer.
#
#   sweep run THIS_FILE           train (again: resume)
#   sweep run THIS_FILE --plan    list the trials without training
#   sweep report                  rank the results
{{name}}
seed: 111                     # initial weights and samplers; same seed, same results

{{data}}

{{settings}}
search:
  # workers: 2                # trials trained at once (default: all CPUs)
  stages:
    # - name: range           # the LR range test: one training whose rate rises from
    #   lr_range: {min: 1e-5, max: 1, epochs: 2}  # min to max; the later stages train
    #                         # with the eta_min and eta_max it derives
    - name: coarse
      sampler: grid           # grid | random | sobol | tpe
      trials: 8               # grid: points per dimension, ends included
      # tpe: {startup: 8, batch: 4}    # with sampler: tpe, sobol's first 8 points, then
      #                                # rounds of 4 proposed from the results before them
      space:
        lambda: {log10: [-5, -1]}        # lambda = 10^u, u in [-5, -1]
    - name: fine
      after: coarse
      sampler: random
      trials: 8
      space:
        lambda: {log10: refine}          # the range comes from coarse's results:
      refine: {top: 3, margin: 0.25}     # its top 3 trials, widened by 0.25 decades
      # halving: {min_cycles: 1, eta: 3} # successive halving: all train 1 cycle, the best
      #                                  # third go on to 3, 9 ... up to training.cycles
    - name: final
      after: fine
      best: 1                 # retrain the best configuration of all earlier stages
      training: {cycles: 3}   # overrides for this stage only
`
