package distributed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/search"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// testShape is a 3x4x2 network trained 20 updates in 2 cycles with 2
// records per cycle.
func testShape() shape {
	cfg := train.DefaultConfig()
	cfg.Hidden, cfg.BatchSize, cfg.StepSize, cfg.Cycles, cfg.RecordsPerCycle = 3, 10, train.StepSize{Updates: 5}, 2, 2
	return shape{cfg: cfg, d: 4, k: 2, nTrn: 100}
}

// goodResult fits testShape.
func goodResult(s shape) *train.Result {
	m, d, k := s.cfg.Hidden, s.d, s.k
	total := s.total()
	return &train.Result{Steps: total, History: []train.Record{{Step: 0}, {Step: 5}, {Step: 10}, {Step: 15}, {Step: total}},
		Weights: train.Weights{M: m, D: d, K: k, W1: make([]float64, m*d), B1: make([]float64, m), W2: make([]float64, k*m), B2: make([]float64, k)}}
}

func gobOf(t testing.TB, p resultPayload) []byte {
	t.Helper()
	b, err := encodeGob(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeResult(t *testing.T) {
	s := testShape()
	if s.total() != 20 {
		t.Fatalf("the test shape trains %d updates, want 20", s.total())
	}
	if res, terr, bad := decodeResult(statusDone, gobOf(t, resultPayload{Result: goodResult(s)}), s); res == nil || terr != nil || bad != nil {
		t.Fatalf("a valid result: %v, %v, %v", res, terr, bad)
	}
	if _, terr, bad := decodeResult(statusDiverged, gobOf(t, resultPayload{DivergedStep: 7}), s); bad != nil || terr == nil {
		t.Fatalf("a valid diverged result: %v, %v", terr, bad)
	}
	edit := func(f func(r *train.Result)) []byte {
		r := goodResult(s)
		f(r)
		return gobOf(t, resultPayload{Result: r})
	}
	for _, tc := range []struct {
		name, status string
		blob         []byte
	}{
		{"not gob", statusDone, []byte("x")},
		{"no result", statusDone, gobOf(t, resultPayload{History: []train.Record{{}}})},
		{"empty history", statusDone, edit(func(r *train.Result) { r.History = nil })},
		{"too many records", statusDone, edit(func(r *train.Result) { r.History = make([]train.Record, 6); r.History[5].Step = 20 })},
		{"short history", statusDone, edit(func(r *train.Result) { r.History = r.History[:4] })},
		{"wrong steps", statusDone, edit(func(r *train.Result) { r.Steps = 19 })},
		{"wide network", statusDone, edit(func(r *train.Result) { r.Weights.M = 4 })},
		{"other inputs", statusDone, edit(func(r *train.Result) { r.Weights.D, r.Weights.W1 = 5, make([]float64, 15) })},
		{"short W1", statusDone, edit(func(r *train.Result) { r.Weights.W1 = r.Weights.W1[:11] })},
		{"short B1", statusDone, edit(func(r *train.Result) { r.Weights.B1 = nil })},
		{"long W2", statusDone, edit(func(r *train.Result) { r.Weights.W2 = make([]float64, 7) })},
		{"short B2", statusDone, edit(func(r *train.Result) { r.Weights.B2 = r.Weights.B2[:1] })},
		{"too large", statusDone, make([]byte, s.maxPayload()+1)},
		{"diverged late", statusDiverged, gobOf(t, resultPayload{DivergedStep: 21})},
		{"diverged early", statusDiverged, gobOf(t, resultPayload{DivergedStep: -1})},
		{"NaN seconds", statusDone, edit(func(r *train.Result) { r.Seconds = math.NaN() })},
		{"negative seconds", statusDone, edit(func(r *train.Result) { r.Seconds = -1 })},
		{"diverged after infinite seconds", statusDiverged, gobOf(t, resultPayload{DivergedStep: 3, DivergedSeconds: math.Inf(1)})},
		{"unknown status", "finished", gobOf(t, resultPayload{Result: goodResult(s)})},
	} {
		res, terr, bad := decodeResult(tc.status, tc.blob, s)
		if !errors.Is(bad, errProtocol) || res != nil || terr != nil {
			t.Errorf("%s: %v, %v, %v; want an errProtocol error alone", tc.name, res, terr, bad)
		}
	}
	if n := len(gobOf(t, resultPayload{Result: goodResult(s)})); int64(n) > s.maxPayload()/2 {
		t.Errorf("a valid result of %d bytes is within a factor 2 of the bound %d", n, s.maxPayload())
	}
}

// No result object makes decodeResult panic, and an accepted one is safe
// for the runner to store: a non-empty history ending at the trial's last
// update, weights of the trial's network.
func FuzzDecodeResult(f *testing.F) {
	s := testShape()
	f.Add(statusDone, gobOf(f, resultPayload{Result: goodResult(s)}))
	f.Add(statusDiverged, gobOf(f, resultPayload{DivergedStep: 3, History: []train.Record{{}}}))
	f.Add(statusDone, gobOf(f, resultPayload{Result: &train.Result{}}))
	f.Fuzz(func(t *testing.T, status string, b []byte) {
		res, terr, bad := decodeResult(status, b, s)
		if bad != nil {
			return
		}
		var div *train.DivergedError
		switch {
		case res != nil:
			w := res.Weights
			if len(res.History) == 0 || res.History[len(res.History)-1].Step != s.total() || res.Steps != s.total() ||
				w.M != 3 || w.D != 4 || w.K != 2 || len(w.W1) != 12 || len(w.B1) != 3 || len(w.W2) != 6 || len(w.B2) != 2 {
				t.Fatalf("accepted a result that does not fit: %+v", res)
			}
		case errors.As(terr, &div):
			if div.Step < 0 || div.Step > s.total() {
				t.Fatalf("accepted a divergence at step %d", div.Step)
			}
		default:
			t.Fatalf("accepted %q (%q) as neither a result nor a divergence: %v", b, status, terr)
		}
	})
}

// A result that does not fit its trial (here: no history, which the
// runner indexes, in an object or inline) or says both, is terminated and
// its segment trained again; the sweep ends as a local one, and a restart
// is not needed.
func TestCoordinatorDropsMalformedResult(t *testing.T) {
	want := localResults(t)

	conn := testServer(t)
	nc := testConn(t, conn)
	wnc := testConn(t, conn)
	cfg, _ := config.Parse(strings.NewReader(testSweep), config.ParseOptions{File: "t.yaml"})
	var logs struct {
		sync.Mutex
		lines []string
	}
	logf := func(format string, args ...any) {
		logs.Lock()
		defer logs.Unlock()
		logs.lines = append(logs.lines, format)
	}
	var stats CoordinatorStats
	coord := NewCoordinator(nc, cfg, CoordinatorOptions{AckWait: 5 * time.Second, Logf: logf}, &stats)
	defer coord.Close()
	var wstats WorkerStats
	wctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }()
	got := runSweep(t, t.TempDir(), search.RunOptions{Executor: coord}, func(db *store.DB) {
		if err := coord.Attach(t.Context(), db); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := answerMalformed(wctx, wnc); err != nil {
				t.Error(err)
				return
			}
			RunWorkers(wctx, wnc, WorkerOptions{Workers: 2}, &wstats)
		}()
	})
	for id, w := range want {
		if got[id] != w {
			t.Errorf("trial %s differs:\n  nats  %.300s\n  local %.300s", id, got[id], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d trials through NATS, %d locally", len(got), len(want))
	}
	logs.Lock()
	defer logs.Unlock()
	n := 0
	for _, l := range logs.lines {
		if strings.Contains(l, "dropping the result") {
			n++
		}
	}
	if n != len(malformedAnswers) {
		t.Errorf("%d log lines about a dropped result, want %d: %q", n, len(malformedAnswers), logs.lines)
	}
}

// malformedAnswers are the ways answerMalformed answers work messages, one
// each: a done result whose history is empty, as a broken or hostile worker
// might send, in an object and inline, and a result with both.
var malformedAnswers = []struct{ object, inline bool }{{true, false}, {false, true}, {true, true}}

// answerMalformed takes a work message for each of malformedAnswers and
// answers it so.
func answerMalformed(ctx context.Context, nc *nats.Conn) error {
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	obs, err := setup(ctx, js, nil)
	if err != nil {
		return err
	}
	w := &worker{js: js}
	cons, err := w.consumer(ctx)
	if err != nil {
		return err
	}
	blob, err := encodeGob(resultPayload{Result: &train.Result{Steps: 1}})
	if err != nil {
		return err
	}
	for i, a := range malformedAnswers {
		msg, err := cons.Next(jetstream.FetchMaxWait(20 * time.Second))
		if err != nil {
			return err
		}
		seg, _, err := decodeSegment(msg.Data())
		if err != nil {
			return err
		}
		out := resultMsg{Version: wireVersion, Trial: seg.Trial, Ran: ran{Worker: "rogue"}, Status: statusDone}
		if a.object {
			out.Object = fmt.Sprintf("%s/%s/res/rogue-%d", seg.Sweep, seg.Trial, i)
			if _, err := obs.PutBytes(ctx, out.Object, blob); err != nil {
				return err
			}
		}
		if a.inline {
			out.Payload = blob
		}
		body, _ := json.Marshal(out)
		if _, err := js.Publish(ctx, resultsSubject(seg.Sweep, seg.Trial), body); err != nil {
			return err
		}
		if err := msg.DoubleAck(ctx); err != nil {
			return err
		}
	}
	return nil
}

// An object larger than its bound is refused before it is read.
func TestGetBounded(t *testing.T) {
	nc := testConn(t, testServer(t))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	obs, err := setup(t.Context(), js, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obs.PutBytes(t.Context(), "o", make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if b, err := getBounded(t.Context(), obs, "o", 1000); err != nil || len(b) != 1000 {
		t.Errorf("an object at its bound: %d bytes, %v", len(b), err)
	}
	if _, err := getBounded(t.Context(), obs, "o", 999); !errors.Is(err, errProtocol) {
		t.Errorf("an object over its bound: %v, want errProtocol", err)
	}
	if _, err := getBounded(t.Context(), obs, "none", 999); !errors.Is(err, jetstream.ErrObjectNotFound) {
		t.Errorf("a missing object: %v, want ErrObjectNotFound", err)
	}
}

// A worker asks the server for the ack wait at each segment: a
// coordinator that shortens it after the worker started must not see its
// trials trained twice.
func TestAckEveryFollowsTheConsumer(t *testing.T) {
	nc := testConn(t, testServer(t))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := setup(t.Context(), js, nil); err != nil {
		t.Fatal(err)
	}
	w := &worker{js: js}
	cons, err := w.consumer(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := ackEvery(t.Context(), cons); got != DefaultAckWait/3 {
		t.Errorf("in-progress acks every %v, want %v", got, DefaultAckWait/3)
	}
	if _, err := js.CreateOrUpdateConsumer(t.Context(), workStream, workConsumerConfig(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := ackEvery(t.Context(), cons); got != time.Second {
		t.Errorf("after the ack wait became 3s: in-progress acks every %v, want 1s", got)
	}
}

// A work message no worker can read is answered with a failed result on
// its trial's results subject, so that the coordinator records the trial
// failed instead of waiting for it; another version's is given back.
func TestWorkerAnswersMalformedSegment(t *testing.T) {
	nc := testConn(t, testServer(t))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := setup(t.Context(), js, nil); err != nil {
		t.Fatal(err)
	}
	results, err := js.CreateOrUpdateConsumer(t.Context(), resultsStream, jetstream.ConsumerConfig{
		Durable: "test", FilterSubject: resultsSubject("k", "*"), AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	var m segmentMsg
	if err := json.Unmarshal(validSegment(t), &m); err != nil {
		t.Fatal(err)
	}
	m.Trial = "000000000000000000000000" // not its encoding's hash
	bad, _ := json.Marshal(m)
	if _, err := js.Publish(t.Context(), workSubject("k", m.Trial), bad); err != nil {
		t.Fatal(err)
	}
	newer := otherTrial(t, train.AlgorithmVersion+1, "")
	var nm segmentMsg
	_ = json.Unmarshal(newer, &nm)
	if _, err := js.Publish(t.Context(), workSubject("k", nm.Trial), newer); err != nil {
		t.Fatal(err)
	}
	var wstats WorkerStats
	wctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		RunWorkers(wctx, nc, WorkerOptions{Kernel: "generic"}, &wstats)
	}()
	defer func() { stop(); <-done }()
	msg, err := results.Next(jetstream.FetchMaxWait(10 * time.Second))
	if err != nil {
		t.Fatalf("no result for the malformed segment: %v", err)
	}
	var r resultMsg
	if err := json.Unmarshal(msg.Data(), &r); err != nil || r.Trial != m.Trial || r.Status != statusFailed || !strings.Contains(r.Error, "hashes to") {
		t.Errorf("result %s (%v), want trial %s failed with the reason", msg.Data(), err, m.Trial)
	}
	if _, err := results.Next(jetstream.FetchMaxWait(time.Second)); err == nil {
		t.Errorf("a result for the segment of another numerics version, which a worker of that version may train")
	}
	if wstats.Refused.Load() == 0 {
		t.Errorf("the segment of another numerics version was not given back")
	}
}
