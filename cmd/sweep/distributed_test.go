package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// The tests in this file run a coordinator and several worker processes
// against a JetStream server, and compare the database they leave with a
// local run's, bit for bit.

// distSweep is tinyBase over 4 cycles: a 3-point grid, then a halving
// stage of 6 sobol points at rungs of 1, 2 and 4 cycles.
var distSweep = strings.Replace(tinyBase, "cycles: 1", "cycles: 4", 1) + `search:
  stages:
    - name: coarse
      sampler: grid
      trials: 3
      space:
        lambda: {log10: [-4, -2]}
    - name: sh
      sampler: sobol
      trials: 6
      space:
        lambda: {log10: [-4, -0.5]}
      halving: {min_cycles: 1, eta: 2}
`

// killSweep has one trial long enough (2880 updates of a 50-unit
// network, about 2 s, checkpointed every 90 updates and stored at most
// every second) to kill a worker in its middle.
const killSweep = `name: slow
seed: 7
data: {source: embedded}
model: {hidden: 50}
training:
  batch_size: 100
  step_size: 90
  cycles: 16
  records_per_cycle: 4
  eta_max: 0.05
  lambda: 1e-3
search:
  stages:
    - name: one
      sampler: grid
      trials: 1
      space:
        lambda: {log10: [-3, -2]}
`

// testServer is a loopback JetStream server with file storage that a test
// can stop and start again on the same port and store.
type testServer struct {
	t     *testing.T
	dir   string
	port  int
	token string
	srv   *server.Server
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	var raw [8]byte
	rand.Read(raw[:])
	s := &testServer{t: t, dir: t.TempDir(), port: -1, token: hex.EncodeToString(raw[:])}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *testServer) start() {
	s.t.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: s.port, JetStream: true,
		StoreDir: s.dir, Authorization: s.token, NoSigs: true, NoLog: true})
	if err != nil {
		s.t.Fatal(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		s.t.Fatal("nats-server did not start")
	}
	s.srv, s.port = srv, srv.Addr().(*net.TCPAddr).Port
}

func (s *testServer) stop() {
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		s.srv = nil
	}
}

func (s *testServer) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.port) }

// flags are the flags that reach this server.
func (s *testServer) flags() []string { return []string{"--nats", s.url(), "--nats-token", s.token} }

// localRun runs cfg in the process's own pool: the reference.
func localRun(t *testing.T, cfg string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(cfg))
	mustSweep(t, dir, "run", "c.yaml", "--db", "local.db", "--workers", "2")
	return filepath.Join(dir, "local.db")
}

// resultDigest is a digest of every result in a database: each trial's
// status, cycles, final metrics, history and weights, floats by their
// bits; timings, attempts and segments, which say how it ran, are left
// out. It also returns the number of trials.
func resultDigest(t *testing.T, path string) (string, int) {
	t.Helper()
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var trials []store.Trial
	if err := db.ForEachTrial(func(tr store.Trial) error { trials = append(trials, tr); return nil }); err != nil {
		t.Fatal(err)
	}
	sort.Slice(trials, func(i, j int) bool { return trials[i].ID < trials[j].ID })
	h := sha256.New()
	bits := func(xs ...float64) {
		for _, x := range xs {
			fmt.Fprintf(h, "%x,", math.Float64bits(x))
		}
	}
	for _, tr := range trials {
		if !tr.Status.Final() {
			t.Errorf("%s: trial %s is %s", path, tr.ID, tr.Status)
		}
		fmt.Fprintf(h, "%s %s %s %d %d %s\n", tr.ID, tr.Stage, tr.Status, tr.CyclesTrained, tr.DivergedStep, tr.Error)
		f := tr.Final
		for _, p := range []*float64{f.TrainCost, f.TrainLoss, f.TrainAccuracy, f.ValCost, f.ValLoss, f.ValAccuracy, f.TestCost, f.TestLoss, f.TestAccuracy} {
			bits(store.OrNaN(p))
		}
		hist, err := db.History(tr.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range hist {
			fmt.Fprintf(h, "%d:", r.Step)
			bits(r.Epoch, r.Eta, r.TrainCost, r.TrainLoss, r.TrainAccuracy, r.ValCost, r.ValLoss, r.ValAccuracy)
		}
		if w, err := db.Weights(tr.ID); err == nil {
			bits(w.W1...)
			bits(w.B1...)
			bits(w.W2...)
			bits(w.B2...)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), len(trials)
}

// segments lists the segments of every trial in a database.
func segments(t *testing.T, path string) map[string][]store.Segment {
	t.Helper()
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string][]store.Segment{}
	if err := db.ForEachTrial(func(tr store.Trial) error { out[tr.ID] = tr.Segments; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

var summaryRE = regexp.MustCompile(`(\d+) segments published, (\d+) found queued already, (\d+) with a result waiting; (\d+) results stored, (\d+) duplicate results dropped, (\d+) results delivered again`)

// Indexes of the counts summary returns.
const (
	nPublished = iota
	nQueued
	nWaiting
	nStored
	nDuplicates
	nRedelivered
)

// summary reads a coordinator's closing counts: published, found queued,
// with a result waiting, stored, duplicates dropped, redeliveries.
func summary(t *testing.T, stderr string) [6]int {
	t.Helper()
	m := summaryRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no NATS summary in the coordinator's output:\n%s", stderr)
	}
	var out [6]int
	for i := range out {
		out[i], _ = strconv.Atoi(m[i+1])
	}
	return out
}

func checkSame(t *testing.T, local, dist string) {
	t.Helper()
	want, n := resultDigest(t, local)
	got, m := resultDigest(t, dist)
	if got != want || n != m {
		t.Errorf("distributed results differ from the local run's: %d trials (digest %s), local %d (digest %s)", m, got[:12], n, want[:12])
	}
}

// Several worker processes, one with the generic kernels and one with
// avx2, give the local run's results bit for bit, a halving stage
// included, and every trial records who trained it.
func TestDistributedMatchesLocal(t *testing.T) {
	kernels := []string{"generic", "generic"}
	if slices.Contains(train.Kernels(), "avx2") {
		kernels[1] = "avx2"
	} else {
		t.Log("this CPU lacks avx2: both workers use the generic kernels")
	}
	local := localRun(t, distSweep)
	srv := newTestServer(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(distSweep))
	var workers []*process
	for _, k := range kernels {
		workers = append(workers, startSweep(t, dir, append([]string{"worker", "--kernel", k}, srv.flags()...)...))
	}
	r := mustSweep(t, dir, append([]string{"run", "c.yaml", "--db", "dist.db"}, srv.flags()...)...)
	checkSame(t, local, filepath.Join(dir, "dist.db"))
	_, n := resultDigest(t, local)
	if s := summary(t, r.stderr); s[nStored] != s[nPublished] || s[nQueued]+s[nWaiting]+s[nDuplicates] != 0 {
		t.Errorf("counts %v: want every published segment stored once, no duplicates", s)
	}
	used := map[string]bool{}
	for id, segs := range segments(t, filepath.Join(dir, "dist.db")) {
		if len(segs) == 0 {
			t.Errorf("trial %s records no segment", id)
		}
		for _, s := range segs {
			if s.Worker == "" || s.Host == "" || s.To <= s.From {
				t.Errorf("trial %s: segment %+v lacks a worker, host or steps", id, s)
			}
			used[s.Kernel] = true
		}
	}
	for _, w := range workers {
		w.cmd.Process.Signal(syscall.SIGTERM)
		if code := w.wait(t, 10*time.Second); code != exitTerminated {
			t.Errorf("worker exited %d on SIGTERM, want %d:\n%s", code, exitTerminated, w.stderr)
		}
	}
	t.Logf("%d trials, kernels used %v", n, used)
}

// --nats embedded: the coordinator's own server, its in-process workers.
func TestDistributedEmbedded(t *testing.T) {
	local := localRun(t, tinySweep)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(tinySweep))
	r := mustSweep(t, dir, "run", "c.yaml", "--db", "e.db", "--nats", "embedded:127.0.0.1:0", "--workers", "2")
	if !strings.Contains(r.stderr, "--nats-token ") || !strings.Contains(r.stderr, "nats://127.0.0.1:") {
		t.Errorf("the coordinator does not print the URL and token workers need:\n%s", r.stderr)
	}
	checkSame(t, local, filepath.Join(dir, "e.db"))
}

// With --nats, search.workers (tinySweep's 2) is ignored: without
// --workers the coordinator trains nothing itself, and the one external
// worker trains every segment.
func TestDistributedIgnoresSearchWorkers(t *testing.T) {
	srv := newTestServer(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(tinySweep))
	w := startSweep(t, dir, append([]string{"worker"}, srv.flags()...)...)
	mustSweep(t, dir, append([]string{"run", "c.yaml", "--db", "dist.db"}, srv.flags()...)...)
	name := regexp.MustCompile(`(\S+-\d+-1): trial`).FindStringSubmatch(w.stderr.String())
	if name == nil {
		t.Fatalf("no worker name in the worker's log:\n%s", w.stderr)
	}
	segs := segments(t, filepath.Join(dir, "dist.db"))
	if len(segs) != 3 {
		t.Errorf("%d trials, want 3", len(segs))
	}
	for id, ss := range segs {
		for _, s := range ss {
			if s.Worker != name[1] {
				t.Errorf("trial %s: a segment by %q, want every one by the external worker %s", id, s.Worker, name[1])
			}
		}
	}
}

// --nats embedded with a config whose data cannot be loaded fails as
// without --nats and leaves no server store (nor database) behind.
func TestDistributedEmbeddedBadData(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(idxConfig)) // its idx directory is missing
	r := sweep(t, dir, "run", "c.yaml", "--db", "e.db", "--nats", "embedded:127.0.0.1:0")
	if r.code == 0 {
		t.Fatalf("a sweep with missing data ran: %s", r)
	}
	if line := oneErrorLine(t, r); !strings.Contains(line, "idx") {
		t.Errorf("error %q does not name the data", line)
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{"c.yaml"}) {
		t.Errorf("a sweep that could not load its data left files behind: %v", got)
	}
}

// A worker with the wrong token says so in one line naming the flags and
// exits non-zero, rather than waiting for a server that will never let it
// in.
func TestDistributedWrongToken(t *testing.T) {
	srv := newTestServer(t)
	w := startSweep(t, t.TempDir(), "worker", "--nats", srv.url(), "--nats-token", "wrong")
	code := w.wait(t, 20*time.Second)
	out := w.stderr.String()
	if code == 0 || strings.Count(out, "--nats-token or --nats-creds") != 1 || strings.Contains(out, "waiting for") {
		t.Errorf("exit %d, stderr:\n%s\nwant a non-zero exit and one line naming --nats-token and --nats-creds", code, out)
	}
}

// A coordinator that cannot reach its server, or that the server refuses,
// exits non-zero in one line naming the flag to fix before it creates the
// database, rather than waiting for ever beside a new empty sweep.
func TestDistributedCoordinatorFailsFast(t *testing.T) {
	srv := newTestServer(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close() // nothing listens there now
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no server", []string{"--nats", "nats://127.0.0.1:" + free}, "check --nats"},
		{"wrong token", []string{"--nats", srv.url(), "--nats-token", "wrong"}, "--nats-token or --nats-creds"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "c.yaml"), []byte(killSweep))
			r := sweep(t, dir, append([]string{"run", "c.yaml", "--db", "d.db"}, c.args...)...)
			if r.code == 0 {
				t.Fatalf("the coordinator ran: %s", r)
			}
			if line := oneErrorLine(t, r); !strings.Contains(line, c.want) {
				t.Errorf("error %q does not say %q", line, c.want)
			}
			if got := listDir(t, dir); !slices.Equal(got, []string{"c.yaml"}) {
				t.Errorf("a coordinator that could not connect left files behind: %v", got)
			}
		})
	}
}

// watchProgress counts the progress notices of every sweep on srv.
func watchProgress(t *testing.T, srv *testServer) *atomic.Int64 {
	t.Helper()
	nc, err := nats.Connect(srv.url(), nats.Token(srv.token))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	var n atomic.Int64
	if _, err := nc.Subscribe("sweep.progress.>", func(*nats.Msg) { n.Add(1) }); err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	return &n
}

// waitCheckpoint waits until a worker has stored a checkpoint in the
// object store.
func waitCheckpoint(t *testing.T, srv *testServer) { waitCheckpointAfter(t, srv, 0) }

// waitCheckpointAfter waits for a worker's notice that it stored a
// checkpoint of a step after the given one: the coordinator hears it too,
// so a worker killed after it leaves a segment that reaches that step.
// Callers start the worker first: that is safe because a worker stores its
// first checkpoint of a segment a second (storeEvery) into training at the
// earliest, long after the flush below has the subscription in place.
func waitCheckpointAfter(t *testing.T, srv *testServer, after int) {
	t.Helper()
	nc, err := nats.Connect(srv.url(), nats.Token(srv.token))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	notices, err := nc.SubscribeSync("sweep.progress.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		m, err := notices.NextMsg(time.Until(deadline))
		if err != nil {
			t.Fatalf("no notice of a checkpoint after step %d: %v", after, err)
		}
		// The fields of the worker's notice that matter here; gob
		// matches them by name.
		var notice struct{ Checkpoint int }
		if gob.NewDecoder(bytes.NewReader(m.Data)).Decode(&notice) == nil && notice.Checkpoint > after {
			return
		}
	}
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A worker SIGKILLed in the middle of a trial: after the ack wait its
// segment goes to another worker, which resumes from the checkpoint the
// first one stored, and the result is the local run's.
func TestDistributedWorkerKilled(t *testing.T) {
	local := localRun(t, killSweep)
	srv := newTestServer(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(killSweep))
	coord := startSweep(t, dir, append([]string{"run", "c.yaml", "--db", "dist.db", "--ack-wait", "2s"}, srv.flags()...)...)
	first := startSweep(t, dir, append([]string{"worker"}, srv.flags()...)...)
	waitCheckpoint(t, srv)
	first.cmd.Process.Kill()
	first.wait(t, 10*time.Second)
	second := startSweep(t, dir, append([]string{"worker"}, srv.flags()...)...)
	if code := coord.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("coordinator exited %d:\n%s", code, coord.stderr)
	}
	m := regexp.MustCompile(`trial \w+ of sweep "slow" from step (\d+)`).FindStringSubmatch(second.stderr.String())
	if m == nil || m[1] == "0" {
		t.Errorf("the second worker did not resume from a checkpoint:\n%s", second.stderr)
	}
	checkSame(t, local, filepath.Join(dir, "dist.db"))
	for id, segs := range segments(t, filepath.Join(dir, "dist.db")) {
		// The second starts at the first's last stored checkpoint; the
		// first ends at the last step its worker reported.
		if len(segs) != 2 || segs[0].Worker == segs[1].Worker || segs[1].From == 0 || segs[0].To == 0 {
			t.Errorf("trial %s: segments %+v, want two by different workers, the second from the first's checkpoint", id, segs)
		}
	}
	if s := summary(t, coord.stderr.String()); s[nStored] != 1 {
		t.Errorf("counts %v: want the one result stored once", s)
	}
}

// rungSweep is a halving stage of killSweep's trials whose one promoted
// trial resumes from its rung's checkpoint at step 360 (2 cycles of 180
// updates) and trains to 4320, over a second: long enough for a worker to
// store a checkpoint of its own (at most one a second).
const rungSweep = `name: rung
seed: 7
data: {source: embedded}
model: {hidden: 50}
training: {batch_size: 100, step_size: 90, cycles: 24, records_per_cycle: 4, eta_max: 0.05, lambda: 1e-3}
search:
  stages:
    - {name: sh, sampler: sobol, trials: 2, space: {lambda: {log10: [-3, -2]}}, halving: {min_cycles: 2, eta: 12}}
`

// A worker SIGKILLed in a promoted trial, after storing a checkpoint past
// the rung: the redelivered segment resumes from that latest checkpoint,
// not from the rung's checkpoint its first delivery started from.
func TestDistributedResumesLatestCheckpoint(t *testing.T) {
	const rung = 360
	local := localRun(t, rungSweep)
	srv := newTestServer(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(rungSweep))
	coord := startSweep(t, dir, append([]string{"run", "c.yaml", "--db", "dist.db", "--ack-wait", "1s"}, srv.flags()...)...)
	first := startSweep(t, dir, append([]string{"worker"}, srv.flags()...)...)
	waitCheckpointAfter(t, srv, rung)
	first.cmd.Process.Kill()
	first.wait(t, 10*time.Second)
	if !strings.Contains(first.stderr.String(), fmt.Sprintf("from step %d (delivery 1)", rung)) {
		t.Fatalf("the first worker did not start the promoted trial from its rung:\n%s", first.stderr)
	}
	second := startSweep(t, dir, append([]string{"worker"}, srv.flags()...)...)
	if code := coord.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("coordinator exited %d:\n%s", code, coord.stderr)
	}
	m := regexp.MustCompile(`from step (\d+) \(delivery 2\)`).FindStringSubmatch(second.stderr.String())
	if m == nil {
		t.Fatalf("the second worker took no redelivered segment:\n%s", second.stderr)
	}
	if step, _ := strconv.Atoi(m[1]); step <= rung {
		t.Errorf("the redelivered segment did not resume past its rung's step %d:\n%s", rung, second.stderr)
	}
	checkSame(t, local, filepath.Join(dir, "dist.db"))
}

// dupSweep is killSweep's trial, then a second stage's longer one.
var dupSweep = killSweep + `    - name: two
      sampler: grid
      trials: 1
      training: {cycles: 20}
      space:
        lambda: {log10: [-2, -1]}
`

// A worker stopped (SIGSTOP) in the middle of a trial loses it to another
// after the ack wait; continued, it finishes the trial too, and its
// result arrives as a duplicate, acked and dropped: stored once.
func TestDistributedDuplicateResult(t *testing.T) {
	local := localRun(t, dupSweep)
	srv := newTestServer(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(dupSweep))
	coord := startSweep(t, dir, append([]string{"run", "c.yaml", "--db", "dist.db", "--ack-wait", "2s"}, srv.flags()...)...)
	first := startSweep(t, dir, append([]string{"worker"}, srv.flags()...)...)
	waitCheckpoint(t, srv)
	first.cmd.Process.Signal(syscall.SIGSTOP)
	// sweep status names the stopped worker as the trial's trainer, with
	// its host and kernel, until the trial moves on.
	name := regexp.MustCompile(`(\S+-\d+-1): trial`).FindStringSubmatch(first.stderr.String())
	if name == nil {
		t.Fatalf("no worker name in the first worker's log:\n%s", first.stderr)
	}
	want := fmt.Sprintf("%s (%s, %s)", name[1], hostname(t), train.DefaultKernel())
	var status string
	waitFor(t, "sweep status to show the worker", 10*time.Second, func() bool {
		status = mustSweep(t, dir, "status", "--db", "dist.db").stdout
		return strings.Contains(status, want)
	})
	second := startSweep(t, dir, append([]string{"worker"}, srv.flags()...)...)
	waitFor(t, "the second worker's first trial", 60*time.Second, func() bool {
		return strings.Count(second.stderr.String(), " done") >= 1
	})
	first.cmd.Process.Signal(syscall.SIGCONT)
	if code := coord.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("coordinator exited %d:\n%s", code, coord.stderr)
	}
	if !strings.Contains(second.stderr.String(), "(delivery 2)") {
		t.Errorf("the second worker's log shows no redelivery:\n%s", second.stderr)
	}
	checkSame(t, local, filepath.Join(dir, "dist.db"))
	if s := summary(t, coord.stderr.String()); s[nStored] != 2 || s[nDuplicates] != 1 {
		t.Errorf("counts %v: want 2 results stored and 1 duplicate dropped; first worker:\n%s", s, first.stderr)
	}
}

// Trials a coordinator has queued show as queued in sweep status until a
// worker begins them, and the live display says a trial started only then.
func TestDistributedStatusShowsQueued(t *testing.T) {
	srv := newTestServer(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(mediumSweep))
	coord := startSweep(t, dir, append([]string{"run", "c.yaml", "--db", "dist.db"}, srv.flags()...)...)
	var status string
	waitFor(t, "sweep status to show the queued trials", 30*time.Second, func() bool {
		status = sweep(t, dir, "status", "--db", "dist.db").stdout
		return strings.Contains(status, "0 training, 4 queued")
	})
	if n := strings.Count(status, "queued\n"); n != 4 {
		t.Errorf("%d trials shown as queued, want 4:\n%s", n, status)
	}
	if strings.Contains(coord.stderr.String(), "started") {
		t.Errorf("the coordinator says a trial started before any worker ran:\n%s", coord.stderr)
	}
	startSweep(t, dir, append([]string{"worker"}, srv.flags()...)...)
	if code := coord.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("coordinator exited %d:\n%s", code, coord.stderr)
	}
	if n := strings.Count(coord.stderr.String(), ") started"); n != 8 {
		t.Errorf("%d trials said to start, want the 8 trained:\n%s", n, coord.stderr)
	}
}

func hostname(t *testing.T) string {
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// mediumSweep trains 4 grid trials and a 4-point halving stage of 360
// updates each, a few seconds in all, long enough to kill things midway.
const mediumSweep = `name: medium
seed: 9
data: {source: embedded}
model: {hidden: 20}
training:
  batch_size: 100
  step_size: 90
  cycles: 2
  records_per_cycle: 4
  eta_max: 0.05
  lambda: 1e-3
search:
  stages:
    - name: coarse
      sampler: grid
      trials: 4
      space:
        lambda: {log10: [-4, -1]}
    - name: sh
      sampler: sobol
      trials: 4
      space:
        lambda: {log10: [-4, -0.5]}
      halving: {min_cycles: 1, eta: 2}
`

// The coordinator SIGKILLed in the middle of the sweep and restarted
// with the same command finishes it from bbolt and the streams, while the
// workers carry on.
func TestDistributedCoordinatorKilled(t *testing.T) {
	local := localRun(t, mediumSweep)
	srv := newTestServer(t)
	progress := watchProgress(t, srv)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(mediumSweep))
	args := append([]string{"run", "c.yaml", "--db", "dist.db", "--ack-wait", "2s"}, srv.flags()...)
	var workers []*process
	for range 2 {
		workers = append(workers, startSweep(t, dir, append([]string{"worker"}, srv.flags()...)...))
	}
	coord := startSweep(t, dir, args...)
	waitFor(t, "progress", 60*time.Second, func() bool { return progress.Load() >= 8 })
	coord.cmd.Process.Kill()
	coord.wait(t, 10*time.Second)
	r := mustSweep(t, dir, args...)
	checkSame(t, local, filepath.Join(dir, "dist.db"))
	// Every segment the restarted coordinator ran was queued by it, found
	// queued, or found with its result waiting, and stored once; none was
	// trained twice. A result committed by the killed coordinator but not
	// yet acked arrives once more as a duplicate: at most one per worker.
	s := summary(t, r.stderr)
	if s[nStored] != s[nPublished]+s[nQueued]+s[nWaiting] || s[nDuplicates] > len(workers) {
		t.Errorf("restarted coordinator's counts %v: want each segment stored once", s)
	}
	_, trials := resultDigest(t, local)
	if n := trainings(workers); n != trials {
		t.Errorf("the workers trained %d segments for %d trials; counts %v", n, trials, s)
	}
	t.Logf("restarted coordinator: %v", s)
}

// trainings counts the segments the workers finished.
func trainings(workers []*process) int {
	n := 0
	for _, w := range workers {
		n += len(finishedRE.FindAllString(w.stderr.String(), -1))
	}
	return n
}

var finishedRE = regexp.MustCompile(`(?m): trial \w+ (done|diverged|failed)$`)

// A nats-server restart in the middle of the sweep (file storage) loses
// nothing: every process reconnects and the sweep ends as a local run.
func TestDistributedServerRestarted(t *testing.T) {
	local := localRun(t, mediumSweep)
	srv := newTestServer(t)
	progress := watchProgress(t, srv)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(mediumSweep))
	var workers []*process
	for range 2 {
		workers = append(workers, startSweep(t, dir, append([]string{"worker"}, srv.flags()...)...))
	}
	coord := startSweep(t, dir, append([]string{"run", "c.yaml", "--db", "dist.db", "--ack-wait", "2s"}, srv.flags()...)...)
	waitFor(t, "progress", 60*time.Second, func() bool { return progress.Load() >= 8 })
	srv.stop()
	time.Sleep(time.Second)
	srv.start()
	if code := coord.wait(t, 90*time.Second); code != 0 {
		t.Fatalf("coordinator exited %d:\n%s", code, coord.stderr)
	}
	checkSame(t, local, filepath.Join(dir, "dist.db"))
	// Each segment was queued once and stored once; a segment whose ack
	// wait ran out while the server was away trained again, and each
	// such second training's result is one duplicate dropped.
	s := summary(t, coord.stderr.String())
	_, trials := resultDigest(t, local)
	if n := trainings(workers); s[nStored] != s[nPublished] || s[nQueued]+s[nWaiting] != 0 || s[nStored] != trials || s[nDuplicates] != n-trials {
		t.Errorf("counts %v, %d segments trained for %d trials: want each queued and stored once, each extra training one duplicate", s, n, trials)
	}
	t.Logf("coordinator: %v", s)
}

// A worker finds file data by name under its --data-dir, never at the
// coordinator's path; one whose copy differs (another fingerprint) says
// so once and gives the trials back, and another worker trains them.
func TestDistributedDataByName(t *testing.T) {
	cfg := idxConfig + `search:
  stages:
    - name: g
      sampler: grid
      trials: 3
      space:
        lambda: {log10: [-4, -2]}
`
	dir, good, bad := t.TempDir(), t.TempDir(), t.TempDir()
	for name, b := range idxFiles() {
		writeFile(t, filepath.Join(dir, name), b)
		writeFile(t, filepath.Join(good, name), b)
		if strings.HasSuffix(name, trainImages) {
			b = append([]byte(nil), b...)
			b[100]++
		}
		writeFile(t, filepath.Join(bad, name), b)
	}
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(cfg))
	mustSweep(t, dir, "run", "c.yaml", "--db", "local.db")
	srv := newTestServer(t)
	coord := startSweep(t, dir, append([]string{"run", "c.yaml", "--db", "dist.db"}, srv.flags()...)...)
	wrong := startSweep(t, dir, append([]string{"worker", "--data-dir", bad}, srv.flags()...)...)
	waitFor(t, "the worker with other data to refuse", 30*time.Second, func() bool {
		return strings.Contains(wrong.stderr.String(), "giving its trials back")
	})
	startSweep(t, dir, append([]string{"worker", "--data-dir", good}, srv.flags()...)...)
	if code := coord.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("coordinator exited %d:\n%s", code, coord.stderr)
	}
	checkSame(t, filepath.Join(dir, "local.db"), filepath.Join(dir, "dist.db"))
	log := wrong.stderr.String()
	if n := strings.Count(log, "giving its trials back"); n != 1 || !strings.Contains(log, "has fingerprint") {
		t.Errorf("the refusing worker logged %d refusals, want one naming the fingerprints:\n%s", n, log)
	}
}

// Bad --nats flags are one-line usage errors, before anything is loaded
// or created.
func TestDistributedBadFlags(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(tinySweep))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "c.yaml", "--nats", "ftp://host:1"}, "the scheme must be nats, tls, ws or wss"},
		{[]string{"run", "c.yaml", "--nats", "nats://"}, "expected a URL such as nats://host:4222"},
		{[]string{"run", "c.yaml", "--nats", "embedded:nohost:x"}, "the port must be a number"},
		{[]string{"run", "c.yaml", "--nats", "embedded", "--nats-creds", "x.creds"}, "authenticates by token only"},
		{[]string{"run", "c.yaml", "--nats-token", "t"}, "need --nats"},
		{[]string{"run", "c.yaml", "--nats", "nats://h:1", "--ack-wait", "10ms"}, "--ack-wait must be at least 1s"},
		{[]string{"run", "c.yaml", "--nats", "nats://h:1", "--nats-tls-ca", "missing.pem"}, "--nats-tls-ca missing.pem"},
		{[]string{"run", "c.yaml", "--nats", "nats://h:1", "--nats-tls-cert", "c.pem"}, "--nats-tls-cert and --nats-tls-key go together"},
		{[]string{"worker"}, "worker needs --nats URL"},
		{[]string{"worker", "--nats", "embedded"}, "a worker joins it by the URL"},
		{[]string{"worker", "--nats", "nats://h:1", "--workers", "0"}, "--workers must be between 1 and 256"},
		{[]string{"worker", "--nats", "nats://h:1", "--kernel", "nope"}, "nope"},
	} {
		r := sweep(t, dir, tc.args...)
		if r.code != exitUsage {
			t.Errorf("sweep %v: exit %d, want %d", tc.args, r.code, exitUsage)
		}
		if line := oneErrorLine(t, r); !strings.Contains(line, tc.want) {
			t.Errorf("sweep %v: error %q, want it to say %q", tc.args, line, tc.want)
		}
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{"c.yaml"}) {
		t.Errorf("bad flags left files behind: %v", got)
	}
}

// SIGTERM stops a worker in the middle of a trial as it stops run: the
// trial checkpoints and its segment goes back at once (no ack wait), and
// another worker resumes it from there; the worker exits 143.
func TestDistributedWorkerTerminated(t *testing.T) {
	local := localRun(t, killSweep)
	srv := newTestServer(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(killSweep))
	// The default ack wait, 30 s: only an immediate hand-over passes.
	start := time.Now()
	coord := startSweep(t, dir, append([]string{"run", "c.yaml", "--db", "dist.db"}, srv.flags()...)...)
	first := startSweep(t, dir, append([]string{"worker"}, srv.flags()...)...)
	waitCheckpoint(t, srv)
	first.cmd.Process.Signal(syscall.SIGTERM)
	if code := first.wait(t, 10*time.Second); code != exitTerminated {
		t.Errorf("worker exited %d on SIGTERM, want %d:\n%s", code, exitTerminated, first.stderr)
	}
	// With no worker left, the status shows the given-back trial queued,
	// not still trained by the worker that stopped.
	waitFor(t, "sweep status to show the given-back trial queued", 15*time.Second, func() bool {
		return strings.Contains(sweep(t, dir, "status", "--db", "dist.db").stdout, "0 training, 1 queued")
	})
	snap, err := store.ReadStatus(filepath.Join(dir, "dist.db"))
	if err != nil || len(snap.Running) != 1 {
		t.Fatalf("status snapshot: %v, %+v", err, snap)
	}
	if rt := snap.Running[0]; rt.Worker != "" || rt.Host != "" || rt.Kernel != "" {
		t.Errorf("the queued trial still names where it trained: %+v", rt)
	}
	if !strings.Contains(first.stderr.String(), "1 handed back unfinished") {
		t.Errorf("the stopped worker does not count the segment it handed back:\n%s", first.stderr)
	}
	second := startSweep(t, dir, append([]string{"worker"}, srv.flags()...)...)
	if code := coord.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("coordinator exited %d:\n%s", code, coord.stderr)
	}
	if d := time.Since(start); d > 25*time.Second {
		t.Errorf("the sweep took %v: the segment waited for the ack wait", d)
	}
	if m := regexp.MustCompile(`from step (\d+) \(delivery 2\)`).FindStringSubmatch(second.stderr.String()); m == nil || m[1] == "0" {
		t.Errorf("the second worker did not resume the handed-back segment from a checkpoint:\n%s", second.stderr)
	}
	checkSame(t, local, filepath.Join(dir, "dist.db"))
}

// bigSweep's checkpoints and weights (200 x 784 float64, 1.3 MB) exceed
// nats-server's default 1 MB max_payload: they travel as objects. Its
// halving stage's promoted trial resumes from its rung's checkpoint, which
// the coordinator hands over as an object.
const bigSweep = `name: big
seed: 4
data: {source: embedded}
model: {hidden: 200}
training: {batch_size: 300, step_size: 15, cycles: 2, records_per_cycle: 2, eta_max: 0.05, precision: float64}
search:
  stages:
    - {name: one, sampler: sobol, trials: 2, space: {lambda: {log10: [-4, -3]}}, halving: {min_cycles: 1, eta: 2}}
`

func TestDistributedLargePayloads(t *testing.T) {
	local := localRun(t, bigSweep)
	srv := newTestServer(t)
	nc, err := nats.Connect(srv.url(), nats.Token(srv.token))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if max := nc.MaxPayload(); max > 1<<20 {
		t.Fatalf("the test server allows %d-byte messages; the test needs the 1 MB default", max)
	}
	// Each object's metadata is a message on the bucket's meta subjects.
	var mu sync.Mutex
	largest := map[string]uint64{} // "ck", "res": the largest object of each kind
	_, err = nc.Subscribe("$O.SWEEP_BLOBS.M.>", func(m *nats.Msg) {
		var info jetstream.ObjectInfo
		if json.Unmarshal(m.Data, &info) != nil {
			return
		}
		kind := "res"
		if strings.HasSuffix(info.Name, "/ck") {
			kind = "ck"
		}
		mu.Lock()
		largest[kind] = max(largest[kind], info.Size)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(bigSweep))
	startSweep(t, dir, append([]string{"worker"}, srv.flags()...)...)
	mustSweep(t, dir, append([]string{"run", "c.yaml", "--db", "dist.db"}, srv.flags()...)...)
	checkSame(t, local, filepath.Join(dir, "dist.db"))
	nc.Flush()
	mu.Lock()
	defer mu.Unlock()
	if largest["ck"] <= 1<<20 || largest["res"] <= 1<<20 {
		t.Errorf("largest checkpoint object %d bytes, result object %d: want both over 1 MB", largest["ck"], largest["res"])
	}
}

// tpeDistSweep is a tpe stage (3 startup points, rounds of 2) and a tpe
// stage with halving, whose rounds are proposed from first-rung results.
var tpeDistSweep = strings.Replace(tinyBase, "cycles: 1", "cycles: 2", 1) + `search:
  stages:
    - name: t
      sampler: tpe
      trials: 7
      tpe: {startup: 3, batch: 2}
      space: {lambda: {log10: [-4, -1]}, hidden: {int: [4, 12]}}
    - name: th
      sampler: tpe
      trials: 5
      tpe: {startup: 3, batch: 1}
      space: {lambda: {log10: [-4, -1]}}
      halving: {min_cycles: 1, eta: 2}
`

// TPE through the cluster: two worker processes train the rounds the
// coordinator proposes, and the proposals, trials and results are the
// local run's, bit for bit (trial ids are the proposals).
func TestDistributedTPE(t *testing.T) {
	local := localRun(t, tpeDistSweep)
	srv := newTestServer(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.yaml"), []byte(tpeDistSweep))
	var workers []*process
	for range 2 {
		workers = append(workers, startSweep(t, dir, append([]string{"worker"}, srv.flags()...)...))
	}
	mustSweep(t, dir, append([]string{"run", "c.yaml", "--db", "dist.db"}, srv.flags()...)...)
	checkSame(t, local, filepath.Join(dir, "dist.db"))
	if _, n := resultDigest(t, local); n < 12 {
		t.Errorf("the local run has %d trials, want at least the 12 points", n)
	}
	for _, w := range workers {
		w.cmd.Process.Signal(syscall.SIGTERM)
		w.wait(t, 10*time.Second)
	}
}

// The join line the coordinator prints names the data directories a worker
// on this machine needs; the embedded set needs none.
func TestJoinLineNamesDataDirs(t *testing.T) {
	dir := t.TempDir()
	for name, b := range idxFiles() {
		writeFile(t, filepath.Join(dir, "my data", name), b)
	}
	for _, c := range []struct{ yaml, want string }{
		{tinySweep, ""},
		{strings.Replace(tinySweep, "{source: embedded}", `{source: idx, dir: "my data"}`, 1), " --data-dir " + strconv.Quote(filepath.Join(dir, "my data"))},
	} {
		cfg, err := config.Parse(strings.NewReader(c.yaml), config.ParseOptions{File: "c.yaml", BaseDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if got := dataDirFlags(cfg); got != c.want {
			t.Errorf("dataDirFlags = %q, want %q", got, c.want)
		}
	}
}
