package distributed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/search"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// CoordinatorOptions configure a Coordinator.
type CoordinatorOptions struct {
	// AckWait is the ack wait of the work consumer and of this sweep's
	// results consumer (a result delivered to a coordinator that died
	// comes again after it); 0 means DefaultAckWait.
	AckWait time.Duration
	// CheckpointEvery is passed to the workers (train.Options).
	CheckpointEvery int
	// Logf receives one line per event worth a log line.
	Logf func(format string, args ...any)
}

// copyEvery is how often at most the coordinator copies a trial's latest
// checkpoint from the object store into bbolt. Redeliveries resume from
// the object store, which has every checkpoint; the copy serves a later
// run without --nats, and each costs a fetch, a decode and an fsynced
// commit, which for short trials was most of the coordinator's work.
const copyEvery = 10 * time.Second

// resultsBuffered is how many result messages the coordinator's client
// holds before it handles them.
const resultsBuffered = 16

// CoordinatorStats count what a Coordinator saw.
type CoordinatorStats struct {
	// Published counts work messages the server accepted, Queued those
	// it refused because their trial's segment was queued already (a
	// restarted coordinator's).
	Published, Queued atomic.Int64
	// Waiting counts segments not published because their result was
	// in the results stream already (a restarted coordinator's).
	Waiting atomic.Int64
	// Results counts results stored, Duplicates results that arrived for
	// a trial already stored (acked and dropped), Redelivered results
	// delivered more than once.
	Results, Duplicates, Redelivered atomic.Int64
}

// Coordinator is a search.Executor that hands each segment to the workers
// of a NATS JetStream server and turns their messages back into the
// runner's checkpoint and record hooks and its result.
type Coordinator struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	obs   jetstream.ObjectStore
	db    *store.DB
	cfg   config.Config
	key   string
	name  string
	opts  CoordinatorOptions
	stats *CoordinatorStats

	mu       sync.Mutex
	waiters  map[string]*waiter
	closed   bool           // Close was called: results wait for the next coordinator
	handlers sync.WaitGroup // onResult calls in flight
	results  jetstream.Stream
	cc       jetstream.ConsumeContext
	sub      *nats.Subscription
}

type waiter struct {
	progress chan progressMsg
	results  chan delivery
	// dropped hears of a result message on the trial's subject that could
	// not be read: if it was the result the waiter counted on (its segment
	// was not queued), the segment must be queued now.
	dropped chan struct{}
}

// delivery is a result message and what it says, decoded once.
type delivery struct {
	m jetstream.Msg
	r resultMsg
}

// NewCoordinator returns a Coordinator of cfg's sweep on nc's server; it
// trains nothing until Attach gives it the sweep's database.
func NewCoordinator(nc *nats.Conn, cfg config.Config, opts CoordinatorOptions, stats *CoordinatorStats) *Coordinator {
	if opts.AckWait <= 0 {
		opts.AckWait = DefaultAckWait
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if stats == nil {
		stats = &CoordinatorStats{}
	}
	return &Coordinator{nc: nc, cfg: cfg, opts: opts, stats: stats, waiters: map[string]*waiter{}}
}

// Attach sets up the streams, the work consumer and this sweep's results
// consumer for the sweep in db (prepared by the runner), and starts
// reading results. It waits for the server until ctx is done.
func (c *Coordinator) Attach(ctx context.Context, db *store.DB) error {
	sw, err := db.Sweep()
	if err != nil {
		return err
	}
	if c.js, err = jetstream.New(c.nc); err != nil {
		return fmt.Errorf("distributed: %w", err)
	}
	c.db, c.key, c.name = db, SweepKey(sw), sw.Name
	if c.obs, err = setup(ctx, c.js, c.opts.Logf); err != nil {
		return err
	}
	var results jetstream.Consumer
	err = retry(ctx, func(ctx context.Context) error {
		var err error
		if c.results, err = c.js.Stream(ctx, resultsStream); err != nil {
			return err
		}
		if _, err := c.js.CreateOrUpdateConsumer(ctx, workStream, workConsumerConfig(c.opts.AckWait)); err != nil {
			return err
		}
		results, err = c.js.CreateOrUpdateConsumer(ctx, resultsStream, jetstream.ConsumerConfig{
			Durable: "coordinator_" + c.key, FilterSubject: resultsSubject(c.key, "*"),
			AckPolicy: jetstream.AckExplicitPolicy, AckWait: c.opts.AckWait, MaxDeliver: -1, MaxAckPending: -1,
		})
		return err
	})
	if err != nil {
		return err
	}
	if c.sub, err = c.nc.Subscribe(progressSubject(c.key)+".*", c.onProgress); err != nil {
		return fmt.Errorf("distributed: subscribe: %w", err)
	}
	// A result message may hold a megabyte inline: the client buffers
	// a few, not nats.go's default 500.
	if c.cc, err = results.Consume(c.onResult, jetstream.PullMaxMessages(resultsBuffered)); err != nil {
		_ = c.sub.Unsubscribe()
		return fmt.Errorf("distributed: consume results: %w", err)
	}
	return nil
}

// Key is the sweep's key on the server (see SweepKey).
func (c *Coordinator) Key() string { return c.key }

// Close stops reading results and progress and waits for the result
// being handled, which may read the database; unacked results stay in
// the stream for the next coordinator.
func (c *Coordinator) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	if c.cc != nil {
		c.cc.Stop()
		_ = c.sub.Unsubscribe()
	}
	c.handlers.Wait()
}

func (c *Coordinator) onProgress(m *nats.Msg) {
	var p progressMsg
	if len(m.Data) > maxMessage || decodeGob(m.Data, &p) != nil {
		return
	}
	c.mu.Lock()
	w := c.waiters[p.Trial]
	c.mu.Unlock()
	if w == nil {
		return
	}
	// Advisory: a slow runner loses its oldest notices, never the newest,
	// which says where the segment is now (a give-back included).
	// Notices come one at a time (one subscription), so after one is
	// dropped the send cannot block.
	select {
	case w.progress <- p:
	default:
		select {
		case <-w.progress:
		default:
		}
		w.progress <- p
	}
}

func (c *Coordinator) onResult(m jetstream.Msg) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return // unacked: it comes again to the next coordinator
	}
	c.handlers.Add(1)
	c.mu.Unlock()
	defer c.handlers.Done()
	if md, err := m.Metadata(); err == nil && md.NumDelivered > 1 {
		c.stats.Redelivered.Add(1)
	}
	var r resultMsg
	if len(m.Data()) > maxMessage || json.Unmarshal(m.Data(), &r) != nil || r.Version != wireVersion {
		// The subject names the trial (resultsSubject).
		trial := m.Subject()[strings.LastIndex(m.Subject(), ".")+1:]
		if r.Version != 0 && r.Version != wireVersion {
			c.opts.Logf("dropping a result message of wire version %d for trial %s; this coordinator reads version %d", r.Version, trial, wireVersion)
		} else {
			c.opts.Logf("dropping a malformed result message for trial %s", trial)
		}
		_ = m.Term()
		c.mu.Lock()
		w := c.waiters[trial]
		c.mu.Unlock()
		if w != nil {
			select {
			case w.dropped <- struct{}{}:
			default:
			}
		}
		return
	}
	c.mu.Lock()
	w := c.waiters[r.Trial]
	c.mu.Unlock()
	if w != nil {
		select {
		case w.results <- delivery{m, r}:
			return
		default:
		}
	}
	// Nobody waits for it: a duplicate of a stored result, or a result
	// that came before its trial's segment was planned again (a restarted
	// coordinator).
	t, err := c.db.Trial(r.Trial)
	switch {
	case err == nil && t.Status.Final():
		c.stats.Duplicates.Add(1)
		c.drop(m, r)
		// The duplicate's worker may have stored a checkpoint after the
		// stored result's cleanup.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.obs.Delete(ctx, checkpointObject(c.key, r.Trial))
	case errors.Is(err, store.ErrNotFound):
		c.opts.Logf("dropping a result for trial %s, which this sweep does not have", r.Trial)
		c.drop(m, r)
	default:
		_ = m.NakWithDelay(time.Second)
	}
}

// drop acks a result that is not needed and deletes its object.
func (c *Coordinator) drop(m jetstream.Msg, r resultMsg) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if m.DoubleAck(ctx) == nil && r.Object != "" {
		_ = c.obs.Delete(ctx, r.Object)
	}
}

// Execute implements search.Executor: it publishes the segment and waits
// for its result, passing checkpoints and records on meanwhile.
func (c *Coordinator) Execute(ctx context.Context, job *search.Job) (*train.Result, error) {
	t := job.Trial
	if c.db == nil {
		return nil, errors.New("distributed: the coordinator is not attached to a database")
	}
	enc, err := config.EncodeTrial(config.Trial{Settings: t.Config, Data: t.Data.Info.Fingerprint, Numerics: train.AlgorithmVersion})
	if err != nil {
		return nil, err
	}
	if id := config.TrialID(enc); id != t.ID {
		return nil, fmt.Errorf("distributed: trial %s encodes to id %s", t.ID, id)
	}
	from := 0
	if ck := job.Options.Resume; ck != nil {
		from = ck.Step
		if err := retry(ctx, func(ctx context.Context) error { return putCheckpoint(ctx, c.obs, c.key, t.ID, ck) }); err != nil {
			return nil, err
		}
		job.Options.Resume = nil // the object store has it now
	}
	w := &waiter{progress: make(chan progressMsg, 64), results: make(chan delivery, 4), dropped: make(chan struct{}, 1)}
	c.mu.Lock()
	c.waiters[t.ID] = w
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiters, t.ID)
		c.mu.Unlock()
		// Results that queued behind the one returned go back, to come
		// again as duplicates once it is stored.
		for {
			select {
			case d := <-w.results:
				_ = d.m.NakWithDelay(time.Second)
			default:
				return
			}
		}
	}()
	body, err := json.Marshal(segmentMsg{Version: wireVersion, Sweep: c.key, Name: c.name, Trial: t.ID, Encoded: string(enc),
		Data: newDataRef(c.cfg.DataSection(t.Stage), t.Data.Info.Fingerprint), CheckpointEvery: c.opts.CheckpointEvery})
	if err != nil {
		return nil, fmt.Errorf("distributed: %w", err)
	}
	// A trial has one subject, which holds at most one message: while
	// its segment is queued or in training, publishing it again (a
	// restarted coordinator) is refused, however long ago it was queued.
	// A result not yet delivered (a restarted coordinator's) comes to
	// the waiter: its segment needs no training.
	if !c.resultWaiting(ctx, t.ID) {
		if _, err := c.publish(ctx, t.ID, body); err != nil {
			return nil, err
		}
	}
	job.Ran = store.Segment{From: from}
	lastCk, copied := from, time.Now()
	training := ""             // the worker the notices say trains the segment
	var again <-chan time.Time // republishing a segment whose result was dropped
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case p := <-w.progress:
			if p.GaveBack {
				// One from a worker that no longer has the segment
				// (it was redelivered meanwhile) changes nothing.
				if p.Ran.Worker == training {
					training = ""
					if job.OnQueued != nil {
						job.OnQueued()
					}
				}
				continue
			}
			job.Ran = p.Ran.segment()
			if p.Ran.Worker != training {
				training = p.Ran.Worker
				begin(job)
			}
			if p.Record != nil && job.Options.OnRecord != nil {
				job.Options.OnRecord(*p.Record)
			}
			if p.Checkpoint > lastCk && job.Options.OnCheckpoint != nil && time.Since(copied) >= copyEvery {
				ck, err := getCheckpoint(ctx, c.obs, c.key, t.ID, shapeOf(t))
				if err != nil || ck == nil || ck.Step <= lastCk {
					continue // a later notice or the result will do
				}
				lastCk, copied = ck.Step, time.Now()
				if err := job.Options.OnCheckpoint(ck); err != nil {
					return nil, err
				}
			}
		case d := <-w.results:
			res, terr, ok := c.readResult(ctx, d, job, training)
			if !ok {
				// Its payload is gone or unusable: train the segment
				// again, once its work message is acked.
				_ = d.m.Term()
				again = time.After(0)
				continue
			}
			return res, terr
		case <-w.dropped:
			again = time.After(0)
		case <-again:
			// The work message of the result dropped is acked just
			// after its result is published: until then the trial's
			// subject is full. Another delivery of it may be training,
			// and its result ends the wait.
			queued, err := c.publish(ctx, t.ID, body)
			if err != nil {
				return nil, err
			}
			again = nil
			if queued {
				again = time.After(time.Second)
			}
		}
	}
}

// resultWaiting reports whether the results stream holds a result of
// trial; it answers no if the server does not say.
func (c *Coordinator) resultWaiting(ctx context.Context, trial string) bool {
	var found bool
	_ = retry(ctx, func(ctx context.Context) error {
		_, err := c.results.GetLastMsgForSubject(ctx, resultsSubject(c.key, trial))
		found = err == nil
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil
		}
		return err
	})
	if found {
		c.stats.Waiting.Add(1)
	}
	return found
}

// publish puts trial's work message on the queue, waiting for the
// server. queued reports that the trial has a message on the queue
// already (queued or in training), which the server keeps instead.
func (c *Coordinator) publish(ctx context.Context, trial string, body []byte) (queued bool, err error) {
	err = retry(ctx, func(ctx context.Context) error {
		_, err := c.js.Publish(ctx, workSubject(c.key, trial), body)
		var api *jetstream.APIError
		if errors.As(err, &api) && api.ErrorCode == jetstream.ErrorCode(codeStoreFailed) && strings.Contains(api.Description, "per subject") {
			queued = true
			c.stats.Queued.Add(1)
			return nil
		}
		if err != nil {
			return err
		}
		queued = false
		c.stats.Published.Add(1)
		return nil
	})
	return queued, err
}

// readResult turns a result message into what train.Train would have
// returned, and sets job.Stored to ack it after the commit. ok is false if
// its payload cannot be read or does not fit the trial (logged): the
// caller terminates it and trains the segment again. training is the
// worker the progress notices named last.
func (c *Coordinator) readResult(ctx context.Context, d delivery, job *search.Job, training string) (res *train.Result, terr error, ok bool) {
	m, r := d.m, d.r
	job.Ran = r.Ran.segment()
	if r.Ran.Worker != training {
		begin(job) // its worker's progress notices were lost
	}
	job.Stored = func() {
		c.stats.Results.Add(1)
		c.drop(m, r)
		dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.obs.Delete(dctx, checkpointObject(c.key, r.Trial))
	}
	if r.Status == statusFailed {
		return nil, errors.New(r.Error), true
	}
	sh := shapeOf(job.Trial)
	switch inline := len(r.Payload) > 0; {
	case inline == (r.Object != ""):
		c.opts.Logf("trial %s: dropping the result from %s: it has %d bytes inline and object %q, want exactly one", r.Trial, r.Ran.Worker, len(r.Payload), r.Object)
		job.Stored = nil
		return nil, nil, false
	case inline:
		return c.decodeResult(r, r.Payload, sh, job)
	}
	var blob []byte
	err := retry(ctx, func(ctx context.Context) error {
		var err error
		blob, err = getBounded(ctx, c.obs, r.Object, sh.maxPayload())
		if errors.Is(err, jetstream.ErrObjectNotFound) || errors.Is(err, errProtocol) {
			blob = nil
			c.opts.Logf("trial %s: dropping the result from %s: %v", r.Trial, r.Ran.Worker, err)
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err, true // ctx is done: the runner keeps the trial pending
	}
	if blob == nil {
		job.Stored = nil
		return nil, nil, false
	}
	return c.decodeResult(r, blob, sh, job)
}

// decodeResult is readResult's decoding of a result's payload.
func (c *Coordinator) decodeResult(r resultMsg, blob []byte, sh shape, job *search.Job) (res *train.Result, terr error, ok bool) {
	res, terr, bad := decodeResult(r.Status, blob, sh)
	if bad != nil {
		c.opts.Logf("trial %s: dropping the result from %s: %v", r.Trial, r.Ran.Worker, bad)
		job.Stored = nil
		return nil, nil, false
	}
	return res, terr, true
}

// begin marks job as training on the worker job.Ran names; the first
// time, it also sets when it began.
func begin(job *search.Job) {
	if job.Started.IsZero() {
		job.Started = time.Now()
	}
	if job.OnStart != nil {
		job.OnStart()
	}
}

func shapeOf(t *search.PlannedTrial) shape {
	p := t.Data.Prepared
	return shape{cfg: t.Config, d: p.D, k: p.K, nTrn: p.NTrain()}
}
