package train

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sweep-ml/sweep/pkg/train/internal/kernel"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from this machine's results")

// crossCase is one small trial of the cross-kernel and cross-CPU tests.
type crossCase struct {
	name string
	cfg  Config
}

// crossCases cover both precisions and all three schedules, shuffled and
// not, with 50 hidden units (a whole 56-wide panel on AVX-512) and batches
// of 20 rows (the 6-row kernels leave two rows to Go).
func crossCases() []crossCase {
	var cases []crossCase
	for _, p := range []Precision{Float32, Float64} {
		for i, s := range []Schedule{Triangular, Triangular2, ExpRange} {
			cfg := smallConfig()
			cfg.Hidden = 50
			cfg.Precision, cfg.Schedule = p, s
			cfg.Gamma = 0.99
			cfg.Lambda = 1e-3
			cfg.Shuffle = i == 1
			cases = append(cases, crossCase{fmt.Sprintf("%s_%s", p, s), cfg})
		}
	}
	return cases
}

// crossData is the data set of crossCases: 400 examples of 30 features in 5
// classes, built the same way on every CPU.
func crossData(t testing.TB) *Dataset { return syntheticDataset(t, 400, 30, 5, 8) }

// summary is what the golden file keeps of a result: the test metrics to 17
// digits and a hash of every bit of the weights and the history.
func summary(r *Result) string {
	h := fnv.New64a()
	for _, v := range resultFloats(r) {
		fmt.Fprintf(h, "%016x", math.Float64bits(v))
	}
	return fmt.Sprintf("test_cost=%.17g test_loss=%.17g test_accuracy=%.17g bits=%016x",
		r.Test.Cost, r.Test.Loss, r.Test.Accuracy, h.Sum64())
}

// Every kernel set trains every case to the same bits as the generic one:
// history, weights and test metrics. A set this CPU lacks is skipped by
// name.
func TestKernelsAgreeBitForBit(t *testing.T) {
	testKernelsAgree(t, crossCases(), crossData(t))
}

// The same on 1200 features, which crossData's 30 never reach: X·W1's B
// (1200 x 56 float32, 1200 x 52 float64) is past the AVX2 and NEON sets'
// smallB, so they block the product over k (1200 is no multiple of a
// piece), and a float64 evaluation widens X inside it
// (kernel.MulAddWidened).
func TestKernelsAgreeOnWideData(t *testing.T) {
	var cases []crossCase
	for _, p := range []Precision{Float32, Float64} {
		cfg := smallConfig()
		cfg.Hidden, cfg.Precision, cfg.Lambda = 50, p, 1e-3
		cfg.Cycles, cfg.RecordsPerCycle = 1, 2
		cases = append(cases, crossCase{string(p), cfg})
	}
	testKernelsAgree(t, cases, syntheticDataset(t, 100, 1200, 5, 9))
}

// testKernelsAgree trains each case on ds with every kernel set and holds
// it to the generic one's bits.
func testKernelsAgree(t *testing.T, cases []crossCase, ds *Dataset) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := mustTrain(t, c.cfg, ds, Options{Kernel: "generic"})
			t.Logf("generic: test cost %.17g", want.Test.Cost)
			for _, name := range kernel.Names() {
				if name == "generic" {
					continue
				}
				t.Run(name, func(t *testing.T) {
					if !slices.Contains(Kernels(), name) {
						t.Skipf("this CPU cannot run the %s kernel", name)
					}
					got := mustTrain(t, c.cfg, ds, Options{Kernel: name})
					t.Logf("%s: test cost %.17g", name, got.Test.Cost)
					if got.Kernel != name {
						t.Errorf("Result.Kernel = %q, want %q", got.Kernel, name)
					}
					if !sameBits(got, want) {
						t.Fatalf("%s differs from generic:\n%s\n%s", name, summary(got), summary(want))
					}
				})
			}
		})
	}
}

// A run checkpointed on one kernel set and resumed on another ends as if
// never interrupted: a trial may move between machines.
func TestResumeOnAnotherKernel(t *testing.T) {
	ds := crossData(t)
	c := crossCases()[1] // float32, shuffled
	sets := Kernels()
	from, to := sets[0], sets[len(sets)-1]
	var ck *Checkpoint
	full := mustTrain(t, c.cfg, ds, Options{Kernel: from, CheckpointEvery: 25, OnCheckpoint: func(k *Checkpoint) error {
		if ck == nil {
			ck = k
		}
		return nil
	}})
	resumed := mustTrain(t, c.cfg, ds, Options{Kernel: to, Resume: ck})
	if !sameBits(full, resumed) {
		t.Fatalf("trained on %s to step %d, resumed on %s: result differs", from, ck.Step, to)
	}
}

// The results of crossCases are the same on every CPU, architecture and
// GOAMD64 level: testdata/cross-cpu.golden holds them (go test -update
// rewrites it), and every kernel set here must reproduce it.
func TestCrossCPUGolden(t *testing.T) {
	ds := crossData(t)
	path := filepath.Join("testdata", "cross-cpu.golden")
	for _, name := range Kernels() {
		var b bytes.Buffer
		fmt.Fprintf(&b, "# algorithm version %d; go test ./pkg/train -run CrossCPUGolden -update rewrites this file\n", AlgorithmVersion)
		for _, c := range crossCases() {
			fmt.Fprintf(&b, "%s %s\n", c.name, summary(mustTrain(t, c.cfg, ds, Options{Kernel: name})))
		}
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("kernel %s: results differ from %s:\n%s", name, path, b.String())
		}
	}
}

func TestKernelChoice(t *testing.T) {
	if got := Kernels(); got[0] != DefaultKernel() || got[len(got)-1] != "generic" {
		t.Fatalf("Kernels() = %v, DefaultKernel() = %q: want the default first, generic last", got, DefaultKernel())
	}
	if name, err := CheckKernel(""); err != nil || name != DefaultKernel() {
		t.Errorf("CheckKernel(\"\") = %q, %v; want the default", name, err)
	}
	ds := crossData(t)
	for _, name := range append(kernel.Names(), "avx2-fma", "AVX2", "sse") {
		_, cerr := CheckKernel(name)
		_, terr := Train(t.Context(), smallConfig(), ds, Options{Kernel: name})
		runs := slices.Contains(Kernels(), name)
		if runs != (cerr == nil) || runs != (terr == nil) {
			t.Errorf("kernel %q: runs here %v, but CheckKernel says %v and Train %v", name, runs, cerr, terr)
		}
		if !runs && (!errors.Is(cerr, ErrKernel) || !errors.Is(terr, ErrKernel)) {
			t.Errorf("kernel %q: errors %v / %v do not wrap ErrKernel", name, cerr, terr)
		}
	}
}
