package distributed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sweep-ml/sweep/pkg/search"
	"github.com/sweep-ml/sweep/pkg/train"
)

// WorkerOptions configure RunWorkers.
type WorkerOptions struct {
	// Workers is the number of segments trained at once (at least 1).
	Workers int
	// Kernel is the kernel set to train with (train.Kernels); "" is the
	// fastest. It changes the speed, never a result.
	Kernel string
	// DataDirs are where data sets are looked up by name: a segment whose
	// coordinator read directory D is looked for in DIR/base(D) and in DIR
	// itself, for each DIR. Embedded data needs none.
	DataDirs []string
	// Data are data sets already loaded, by fingerprint (a coordinator's
	// own workers share its data).
	Data map[string]*search.Data
	// Logf receives one line per event worth a log line.
	Logf func(format string, args ...any)
}

// refusedDelay is how long a segment a worker cannot train (it lacks the
// data) waits before it is delivered again, to this worker or another.
const refusedDelay = 2 * time.Second

// storeEvery is how often at most a worker stores its trial's checkpoint
// in the object store, and always when it is stopped: a redelivery loses
// at most this much training plus the checkpoint interval, and a short
// trial does not pay an object upload at every checkpoint.
const storeEvery = time.Second

// recordEvery is how often at most a worker sends a history record as
// progress: enough for status and the live display, which the record
// messages are for (the result carries the whole history); on short
// trials a message per record was a third of the coordinator's work, and
// a person watching reads no faster.
const recordEvery = time.Second

// WorkerStats count what RunWorkers did, for tests and logs.
// Refused counts segments given back untrained (data or version this
// worker lacks), HandedBack those given back part-trained on stopping.
type WorkerStats struct {
	Trained, Resumed, Refused, HandedBack atomic.Int64
}

// RunWorkers trains segments from the work queue until ctx is done,
// waiting when the queue is empty and for as long as the server is away.
// It returns ctx's error. A segment interrupted by ctx checkpoints and is
// given back at once for another worker.
func RunWorkers(ctx context.Context, nc *nats.Conn, opts WorkerOptions, stats *WorkerStats) error {
	if opts.Workers < 1 {
		opts.Workers = 1
	}
	kernel, err := train.CheckKernel(opts.Kernel)
	if err != nil {
		return err
	}
	opts.Kernel = kernel
	// Worker i of this process is host-pid-i in status and segments.
	host, _ := os.Hostname()
	prefix := fmt.Sprintf("%s-%d", host, os.Getpid())
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if stats == nil {
		stats = &WorkerStats{}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("distributed: %w", err)
	}
	obs, err := setup(ctx, js, opts.Logf)
	if err != nil {
		return err
	}
	w := &worker{nc: nc, js: js, obs: obs, opts: opts, host: host, stats: stats, data: newDataCache(opts)}
	var wg sync.WaitGroup
	for i := range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop(ctx, fmt.Sprintf("%s-%d", prefix, i+1))
		}()
	}
	wg.Wait()
	w.sending.Wait()
	return ctx.Err()
}

type worker struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	obs   jetstream.ObjectStore
	opts  WorkerOptions
	host  string
	stats *WorkerStats
	data  *dataCache
	seq   atomic.Int64 // result objects' numbers
	// sending counts results being sent, which RunWorkers waits for.
	sending sync.WaitGroup
}

// consumer is the shared work consumer, created with the default ack
// wait if no coordinator created it yet (a coordinator's --ack-wait sets
// it).
func (w *worker) consumer(ctx context.Context) (jetstream.Consumer, error) {
	var cons jetstream.Consumer
	err := retry(ctx, func(ctx context.Context) error {
		var err error
		cons, err = w.js.Consumer(ctx, workStream, workConsumer)
		if errors.Is(err, jetstream.ErrConsumerNotFound) {
			cons, err = w.js.CreateConsumer(ctx, workStream, workConsumerConfig(DefaultAckWait))
			if errors.Is(err, jetstream.ErrConsumerExists) {
				cons, err = w.js.Consumer(ctx, workStream, workConsumer)
			}
		}
		return err
	})
	return cons, err
}

func workConsumerConfig(ackWait time.Duration) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{Durable: workConsumer, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: ackWait, MaxDeliver: -1, MaxAckPending: -1}
}

func (w *worker) loop(ctx context.Context, name string) {
	cons, err := w.consumer(ctx)
	if err != nil {
		return
	}
	var sent <-chan struct{} // the last result being sent
	for ctx.Err() == nil {
		fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		msg, err := cons.Next(jetstream.FetchContext(fctx))
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
				w.opts.Logf("%s: fetch: %v", name, err)
				// The server is away, or the consumer was deleted:
				// look it up again once the server answers.
				time.Sleep(250 * time.Millisecond)
				if c, err := w.consumer(ctx); err == nil {
					cons = c
				}
			}
			continue
		}
		sent = w.handle(ctx, cons, msg, name, sent)
	}
}

// handle trains one work message's segment and, once prev (the result of
// the segment before, if any) is sent, starts sending its result. It
// returns a channel closed once that result is sent, or prev if it sends
// none.
func (w *worker) handle(ctx context.Context, cons jetstream.Consumer, msg jetstream.Msg, name string, prev <-chan struct{}) <-chan struct{} {
	seg, tr, err := decodeSegment(msg.Data())
	if errors.Is(err, errOtherVersion) {
		w.stats.Refused.Add(1)
		if w.data.firstFailure(versionKey(seg, tr)) {
			w.opts.Logf("%s: %v; giving such segments back for workers of that version", name, err)
		}
		_ = msg.NakWithDelay(refusedDelay)
		return prev
	}
	if err != nil {
		w.refuse(ctx, msg, name, err)
		return prev
	}
	ds, err := w.data.get(ctx, seg.Data)
	if err != nil {
		if ctx.Err() != nil {
			_ = msg.Nak()
			return prev
		}
		w.stats.Refused.Add(1)
		if w.data.firstFailure(seg.Data.Fingerprint) {
			w.opts.Logf("%s: %v; giving its trials back for other workers", name, err)
		}
		_ = msg.NakWithDelay(refusedDelay)
		return prev
	}
	nctx := context.WithoutCancel(ctx) // NATS calls that must finish when ctx ends
	var resume *train.Checkpoint
	_ = retry(ctx, func(c context.Context) error {
		var err error
		resume, err = getCheckpoint(c, w.obs, seg.Sweep, seg.Trial, shape{cfg: tr.Settings, d: ds.Prepared.D, k: ds.Prepared.K, nTrn: ds.Prepared.NTrain()})
		return err
	})
	if ctx.Err() != nil {
		_ = msg.Nak()
		return prev
	}
	r := ran{Worker: name, Host: w.host, Kernel: w.opts.Kernel}
	if resume != nil {
		r.From = resume.Step
		w.stats.Resumed.Add(1)
	}
	delivery := uint64(1)
	if md, err := msg.Metadata(); err == nil {
		delivery = md.NumDelivered
	}
	w.opts.Logf("%s: trial %s of sweep %q from step %d (delivery %d)", name, seg.Trial, seg.Name, r.From, delivery)

	every := ackEvery(ctx, cons)
	stop := w.keepAlive(msg, every)
	progress := progressSubject(seg.Sweep) + "." + seg.Trial
	notify := func(p progressMsg) {
		if b, err := encodeGob(p); err == nil {
			_ = w.nc.Publish(progress, b) // advisory: the result carries everything
		}
	}
	notify(progressMsg{Trial: seg.Trial, Ran: r}) // started
	stored, noticed := time.Now(), time.Time{}
	// The latest record, and whether a notice carried it: a checkpoint's
	// notice carries it too, so that the trial's segment reaches as far
	// as the checkpoint a redelivery resumes from.
	var last train.Record
	lastSent := true
	res, terr := train.Train(ctx, tr.Settings, ds.Prepared, train.Options{
		Resume: resume, Kernel: w.opts.Kernel, CheckpointEvery: seg.CheckpointEvery,
		OnCheckpoint: func(ck *train.Checkpoint) error {
			if ctx.Err() == nil && time.Since(stored) < storeEvery {
				return nil
			}
			stored = time.Now()
			c, cancel := context.WithTimeout(nctx, 10*time.Second)
			defer cancel()
			// A checkpoint that cannot be stored (the server is away)
			// only means a redelivery resumes from an earlier one.
			if err := putCheckpoint(c, w.obs, seg.Sweep, seg.Trial, ck); err == nil {
				p := progressMsg{Trial: seg.Trial, Ran: r, Checkpoint: ck.Step}
				if !lastSent {
					p.Record, lastSent = &last, true
				}
				notify(p)
			}
			return nil
		},
		OnRecord: func(rec train.Record) {
			last, lastSent = rec, false
			if time.Since(noticed) >= recordEvery {
				noticed, lastSent = time.Now(), true
				notify(progressMsg{Trial: seg.Trial, Ran: r, Record: &rec})
			}
		},
	})
	if ctx.Err() != nil {
		// Interrupted: the checkpoint is stored; hand the segment over.
		stop()
		w.giveBack(msg, seg.Sweep, seg.Trial, r)
		return prev
	}
	out := resultMsg{Version: wireVersion, Trial: seg.Trial, Ran: r}
	var payload resultPayload
	var div *train.DivergedError
	switch {
	case terr == nil:
		out.Status, payload.Result = statusDone, res
	case errors.As(terr, &div):
		out.Status, out.Error, payload.DivergedStep, payload.History, payload.DivergedSeconds = statusDiverged, terr.Error(), div.Step, div.History, div.Seconds
	default:
		out.Status, out.Error = statusFailed, terr.Error()
	}
	id := fmt.Sprintf("%s/%s/res/%s-%d", seg.Sweep, seg.Trial, name, w.seq.Add(1))
	blob, err := encodeGob(payload)
	if err != nil {
		out.Status, out.Error, blob = statusFailed, err.Error(), nil
	}
	out.Payload = blob
	body, _ := json.Marshal(out)
	if blob != nil && int64(len(body)) > w.inlineLimit() {
		out.Payload, out.Object = nil, id
		body, _ = json.Marshal(out)
	}
	// The result goes back while this worker trains its next segment:
	// publishing and acking wait on the server (5-15 ms a trial measured
	// with every core training), which need not hold up training. A
	// worker sends one result at a time. The in-progress acks of the
	// training go on until send stops them, while this waits for the
	// previous result too: a slow send of that one must not let this
	// segment's ack wait run out and have it trained again elsewhere.
	if prev != nil {
		<-prev
	}
	sent := make(chan struct{})
	w.sending.Add(1)
	go func() {
		defer w.sending.Done()
		defer close(sent)
		w.send(ctx, msg, seg.Sweep, name, out, blob, body, id, stop)
	}()
	return sent
}

// send returns a segment's result: its object if it has one, then its
// message (deduplicated by id if a retry repeats it), then the work
// message's ack. A worker killed between any two leaves its segment to be
// delivered again. stop ends the segment's in-progress acks.
func (w *worker) send(ctx context.Context, msg jetstream.Msg, sweep, name string, out resultMsg, blob, body []byte, id string, stop func()) {
	subject := resultsSubject(sweep, out.Trial)
	err := retry(ctx, func(c context.Context) error {
		if out.Object != "" {
			if _, err := w.obs.PutBytes(c, out.Object, blob); err != nil {
				return err
			}
		}
		_, err := w.js.Publish(c, subject, body, jetstream.WithMsgID(id))
		return err
	})
	stop()
	if err != nil {
		w.giveBack(msg, sweep, out.Trial, out.Ran)
		return
	}
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := msg.DoubleAck(c); err != nil {
		w.opts.Logf("%s: trial %s: ack failed (%v); its redelivery will be a duplicate, stored once", name, out.Trial, err)
	}
	w.stats.Trained.Add(1)
	w.opts.Logf("%s: trial %s %s", name, out.Trial, out.Status)
}

// giveBack returns a segment this worker began to the queue, for
// another worker, after telling the coordinator, whose status would
// otherwise show it here until another worker's notice.
func (w *worker) giveBack(msg jetstream.Msg, sweep, trial string, r ran) {
	w.stats.HandedBack.Add(1)
	if b, err := encodeGob(progressMsg{Trial: trial, Ran: r, GaveBack: true}); err == nil {
		_ = w.nc.Publish(progressSubject(sweep)+"."+trial, b)
	}
	_ = msg.Nak()
}

// inlineLimit is the largest result message a worker sends with its
// payload inline: what the server and the coordinator accept, less room
// for the message's headers.
func (w *worker) inlineLimit() int64 {
	return min(w.nc.MaxPayload(), maxMessage) - 4<<10
}

// ackEvery is how often to send in-progress acks: a third of the work
// consumer's ack wait, asked of the server for each segment, since a
// coordinator started after this worker may have shortened it. If the
// server does not answer, the last known ack wait.
func ackEvery(ctx context.Context, cons jetstream.Consumer) time.Duration {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	info, err := cons.Info(ctx)
	if err != nil {
		info = cons.CachedInfo()
	}
	if info != nil && info.Config.AckWait > 0 {
		return info.Config.AckWait / 3
	}
	return DefaultAckWait / 3
}

// refuse answers a malformed work message (one no version of the worker
// would train) with a failed result, so that its coordinator records the
// trial failed rather than waiting for it for ever; the subject, which the
// coordinator chose, names the sweep and trial. A message on no trial's
// subject is terminated.
func (w *worker) refuse(ctx context.Context, msg jetstream.Msg, name string, err error) {
	w.opts.Logf("%s: refusing a work message: %v", name, err)
	parts := strings.Split(msg.Subject(), ".")
	if len(parts) != 4 || parts[0]+"."+parts[1] != "sweep.work" {
		_ = msg.Term()
		return
	}
	key, trial := parts[2], parts[3]
	body, _ := json.Marshal(resultMsg{Version: wireVersion, Trial: trial, Ran: ran{Worker: name, Host: w.host, Kernel: w.opts.Kernel},
		Status: statusFailed, Error: fmt.Sprintf("a worker could not read the trial's work message: %v", err)})
	perr := retry(ctx, func(c context.Context) error {
		_, err := w.js.Publish(c, resultsSubject(key, trial), body)
		return err
	})
	if perr != nil {
		_ = msg.Nak() // stopped: another worker answers it
		return
	}
	_ = msg.Term()
}

// keepAlive sends in-progress acks for msg every period until the
// returned function is called.
func (w *worker) keepAlive(msg jetstream.Msg, every time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// dataCache loads each data set a worker needs once.
type dataCache struct {
	opts   WorkerOptions
	mu     sync.Mutex
	sets   map[string]*search.Data // by fingerprint
	failed map[string]bool         // fingerprints already logged as missing
}

func newDataCache(opts WorkerOptions) *dataCache {
	c := &dataCache{opts: opts, sets: map[string]*search.Data{}, failed: map[string]bool{}}
	for fp, d := range opts.Data {
		c.sets[fp] = d
	}
	return c
}

// get finds ref's data set: embedded data is built in; files are looked
// for by name under each data directory, and a copy counts only if its
// fingerprint is ref's.
func (c *dataCache) get(ctx context.Context, ref dataRef) (*search.Data, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.sets[ref.Fingerprint]; ok {
		return d, nil
	}
	var dirs []string
	if ref.Dir == "" {
		dirs = []string{""}
	} else {
		for _, d := range c.opts.DataDirs {
			dirs = append(dirs, filepath.Join(d, ref.Dir), d)
		}
	}
	found := ""
	for _, dir := range dirs {
		if dir != "" {
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				continue
			}
		}
		d, err := search.LoadData(ctx, ref.section(dir))
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		}
		if d.Info.Fingerprint == ref.Fingerprint {
			c.sets[ref.Fingerprint] = d
			c.opts.Logf("loaded data set %s from %s", short(ref.Fingerprint), describeDir(dir))
			return d, nil
		}
		found = d.Info.Fingerprint
	}
	what := fmt.Sprintf("%s data", ref.Source)
	if ref.Dir != "" {
		what = fmt.Sprintf("%s data %q", ref.Source, ref.Dir)
	}
	if found != "" {
		return nil, fmt.Errorf("distributed: %s under --data-dir has fingerprint %s, the trials need %s", what, short(found), short(ref.Fingerprint))
	}
	return nil, fmt.Errorf("distributed: no --data-dir holds the %s with fingerprint %s (dirs: %v)", what, short(ref.Fingerprint), c.opts.DataDirs)
}

// firstFailure reports whether fp (a data set's fingerprint, or a wire
// version) fails for the first time, so that a worker logs it once, not
// at every redelivery.
func (c *dataCache) firstFailure(fp string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	first := !c.failed[fp]
	c.failed[fp] = true
	return first
}

func describeDir(dir string) string {
	if dir == "" {
		return "the embedded set"
	}
	return dir
}

func short(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}
