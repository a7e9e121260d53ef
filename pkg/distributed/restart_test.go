package distributed

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/search"
	"github.com/sweep-ml/sweep/pkg/store"
)

// A coordinator stopped while its segments are queued, restarted after
// the work stream's duplicate window has passed, queues none of them a
// second time: each is trained once, and the sweep ends as a local one.
func TestRestartQueuesNothingTwice(t *testing.T) {
	want := localResults(t)

	conn := testServer(t)
	dir := t.TempDir()
	cfg, err := config.Parse(strings.NewReader(testSweep), config.ParseOptions{File: "t.yaml", BaseDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(dir, "t.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// The first coordinator queues the grid stage's two trials; no
	// worker takes them before it stops.
	nc := testConn(t, conn)
	var first CoordinatorStats
	coord := NewCoordinator(nc, cfg, CoordinatorOptions{AckWait: 5 * time.Second}, &first)
	r, err := search.NewRunner(t.Context(), cfg, search.RunOptions{Executor: coord})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Prepare(db); err != nil {
		t.Fatal(err)
	}
	if err := coord.Attach(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- r.Run(ctx, db) }()
	deadline := time.Now().Add(20 * time.Second)
	for first.Published.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	<-done
	coord.Close()
	if n := first.Published.Load(); n != 2 {
		t.Fatalf("the first coordinator published %d segments, want 2", n)
	}

	// Past the duplicate window, a message id no longer recognises a
	// repeat.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := js.Stream(t.Context(), workStream)
	if err != nil {
		t.Fatal(err)
	}
	sc := ws.CachedInfo().Config
	sc.Duplicates = 100 * time.Millisecond
	if _, err := js.UpdateStream(t.Context(), sc); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)

	var second CoordinatorStats
	coord = NewCoordinator(nc, cfg, CoordinatorOptions{AckWait: 5 * time.Second}, &second)
	defer coord.Close()
	if r, err = search.NewRunner(t.Context(), cfg, search.RunOptions{Executor: coord}); err != nil {
		t.Fatal(err)
	}
	if err := coord.Attach(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	wnc := testConn(t, conn)
	var wstats WorkerStats
	wctx, wstop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		RunWorkers(wctx, wnc, WorkerOptions{Workers: 2}, &wstats)
	}()
	err = r.Run(t.Context(), db)
	wstop()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if q, d := second.Queued.Load(), second.Duplicates.Load(); q != 2 || d != 0 {
		t.Errorf("the restarted coordinator found %d segments queued and dropped %d duplicate results, want 2 and 0", q, d)
	}
	if n, p := wstats.Trained.Load(), second.Published.Load(); n != p+2 || second.Results.Load() != n {
		t.Errorf("%d segments trained, %d published after the restart, %d results stored: want each of the 2 queued and the published trained and stored once", n, p, second.Results.Load())
	}
	got := sweepResults(t, db, true)
	for id, w := range want {
		if got[id] != w {
			t.Errorf("trial %s differs:\n  nats  %.300s\n  local %.300s", id, got[id], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d trials through NATS, %d locally", len(got), len(want))
	}
}

// Close waits for a result being handled, which reads the database its
// caller closes next.
func TestCloseWaitsForResult(t *testing.T) {
	nc := testConn(t, testServer(t))
	dir := t.TempDir()
	cfg, err := config.Parse(strings.NewReader(testSweep), config.ParseOptions{File: "t.yaml", BaseDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(dir, "t.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := search.NewRunner(t.Context(), cfg, search.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Prepare(db); err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	logf := func(format string, _ ...any) {
		if strings.Contains(format, "does not have") {
			close(entered)
			<-release // the handler is in flight
		}
	}
	coord := NewCoordinator(nc, cfg, CoordinatorOptions{Logf: logf}, nil)
	if err := coord.Attach(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(resultMsg{Version: wireVersion, Trial: "nosuchtrial", Status: statusFailed, Error: "x"})
	if _, err := js.Publish(t.Context(), resultsSubject(coord.Key(), "nosuchtrial"), body); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the result was not handled")
	}
	closed := make(chan struct{})
	go func() { coord.Close(); close(closed) }()
	select {
	case <-closed:
		t.Error("Close returned while a result was being handled")
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return once the result was handled")
	}
}
