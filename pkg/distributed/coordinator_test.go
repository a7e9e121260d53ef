package distributed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/search"
	"github.com/sweep-ml/sweep/pkg/store"
)

// testSweep is a small grid and a halving stage on the embedded data.
const testSweep = `name: t
seed: 3
data: {source: embedded}
model: {hidden: 6}
training: {batch_size: 150, step_size: 10, cycles: 2, records_per_cycle: 2, eta_max: 0.05}
search:
  stages:
    - {name: g, sampler: grid, trials: 2, space: {lambda: {log10: [-4, -2]}}}
    - {name: h, sampler: sobol, trials: 3, space: {lambda: {log10: [-4, -1]}}, halving: {min_cycles: 1, eta: 2}}
`

// runSweep runs testSweep into a new database in dir, through exec if it
// is set, and returns every trial's results as text (floats in their
// shortest exact form).
func runSweep(t *testing.T, dir string, ro search.RunOptions, attach func(*store.DB)) map[string]string {
	t.Helper()
	ctx := t.Context()
	cfg, err := config.Parse(strings.NewReader(testSweep), config.ParseOptions{File: "t.yaml", BaseDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	r, err := search.NewRunner(ctx, cfg, ro)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(dir, "t.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := r.Prepare(db); err != nil {
		t.Fatal(err)
	}
	if attach != nil {
		attach(db)
	}
	if err := r.Run(ctx, db); err != nil {
		t.Fatal(err)
	}
	return sweepResults(t, db, ro.Executor != nil)
}

// sweepResults are db's trials' results as text; remote says that each
// must name the worker of its first segment.
func sweepResults(t *testing.T, db *store.DB, remote bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := db.ForEachTrial(func(tr store.Trial) error {
		h, err := db.History(tr.ID)
		if err != nil {
			return err
		}
		w, _ := db.Weights(tr.ID)
		final, err := json.Marshal(tr.Final)
		if err != nil {
			return err
		}
		out[tr.ID] = fmt.Sprintf("%s %d %s %v %+v", tr.Status, tr.CyclesTrained, final, h, w)
		if remote && (len(tr.Segments) == 0 || tr.Segments[0].Worker == "") {
			t.Errorf("trial %s: segments %+v name no worker", tr.ID, tr.Segments)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	localOnce sync.Once
	local     map[string]string
)

// localResults are testSweep's results from a local run, the reference of
// every test here; computed once, since under -race it is slow.
func localResults(t *testing.T) map[string]string {
	localOnce.Do(func() { local = runSweep(t, t.TempDir(), search.RunOptions{Workers: 2}, nil) })
	if local == nil {
		t.Fatal("the local reference run failed")
	}
	return local
}

// A Runner whose Executor is a Coordinator, with workers in the same
// process (generic kernels), stores what a local Runner stores: the
// executor seam and the wire carry every bit, halving rungs included. Run
// under -race in CI, it checks the coordinator's and workers' goroutines.
func TestCoordinatorMatchesLocal(t *testing.T) {
	want := localResults(t)

	conn := testServer(t)
	nc := testConn(t, conn)
	wnc := testConn(t, conn)
	cfg, _ := config.Parse(strings.NewReader(testSweep), config.ParseOptions{File: "t.yaml"})
	var stats CoordinatorStats
	coord := NewCoordinator(nc, cfg, CoordinatorOptions{AckWait: 5 * time.Second}, &stats)
	defer coord.Close()
	var wstats WorkerStats
	wctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }()
	// A copy of every result message: these results are small, so each
	// carries its payload and none is an object. The subscription is
	// synchronous: after a Flush it holds every message the server sent
	// before, where an asynchronous handler might not have run yet.
	sub, err := nc.SubscribeSync("sweep.results.>")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		t.Fatal(err)
	}
	got := runSweep(t, t.TempDir(), search.RunOptions{Executor: coord}, func(db *store.DB) {
		if err := coord.Attach(t.Context(), db); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			RunWorkers(wctx, wnc, WorkerOptions{Workers: 2, Kernel: "generic"}, &wstats)
		}()
	})
	if len(got) != len(want) {
		t.Fatalf("%d trials through NATS, %d locally", len(got), len(want))
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("trial %s differs:\n  nats  %.300s\n  local %.300s", id, got[id], w)
		}
	}
	// A worker counts a segment once its work message is acked, which
	// may be after the coordinator stored the result: stop the workers
	// (RunWorkers waits for the results being sent) before counting.
	stop()
	wg.Wait()
	if n := stats.Results.Load(); n != wstats.Trained.Load() || n == 0 || stats.Duplicates.Load() != 0 {
		t.Errorf("%d results stored, %d duplicates, %d segments trained: want one stored per segment", n, stats.Duplicates.Load(), wstats.Trained.Load())
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	var inline, objects int64
	for {
		m, err := sub.NextMsg(0)
		if errors.Is(err, nats.ErrTimeout) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var r resultMsg
		if json.Unmarshal(m.Data, &r) == nil && len(r.Payload) > 0 && r.Object == "" {
			inline++
		} else {
			objects++
		}
	}
	if inline != stats.Results.Load() || objects != 0 {
		t.Errorf("%d results inline, %d otherwise, %d stored: want every one inline", inline, objects, stats.Results.Load())
	}
}

// fakeMsg is a result message as onResult reads it.
type fakeMsg struct {
	jetstream.Msg
	subject string
	data    []byte
	termed  bool
}

func (m *fakeMsg) Subject() string { return m.subject }
func (m *fakeMsg) Data() []byte    { return m.data }
func (m *fakeMsg) Metadata() (*jetstream.MsgMetadata, error) {
	return &jetstream.MsgMetadata{NumDelivered: 1}, nil
}
func (m *fakeMsg) Term() error { m.termed = true; return nil }

// A result message that cannot be read (malformed, or of another wire
// version) is terminated, and the trial its subject names hears of it: it
// may be the result the trial's waiter counted on instead of queuing its
// segment, which must then be queued.
func TestUnreadableResultWakesItsTrial(t *testing.T) {
	for _, body := range []string{`{"v":2,"trial":"t1","status":"done","object":"x"}`, `not json`} {
		c := NewCoordinator(nil, config.Config{}, CoordinatorOptions{}, nil)
		w := &waiter{results: make(chan delivery, 1), dropped: make(chan struct{}, 1)}
		c.waiters["t1"] = w
		m := &fakeMsg{subject: resultsSubject("k", "t1"), data: []byte(body)}
		c.onResult(m)
		if !m.termed {
			t.Errorf("%s: not terminated", body)
		}
		select {
		case <-w.dropped:
		default:
			t.Errorf("%s: the trial's waiter did not hear of it", body)
		}
	}
}
