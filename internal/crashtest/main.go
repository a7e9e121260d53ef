package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sweep-ml/sweep/pkg/store"
)

func main() {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(child(path))
	}
	kills := flag.Int("kills", 50, "kills to land in total, over as many sweeps as it takes")
	sig := flag.String("signal", "KILL", "KILL (no chance to clean up) or INT (graceful stop)")
	seed := flag.Uint64("seed", 1, "seed of the kill delays")
	verbose := flag.Bool("v", false, "log every child process on stderr")
	flag.Parse()
	o := options{kills: *kills, seed: *seed}
	switch strings.ToUpper(*sig) {
	case "KILL", "SIGKILL":
		o.signal = syscall.SIGKILL
	case "INT", "SIGINT":
		o.signal = syscall.SIGINT
	default:
		fmt.Fprintf(os.Stderr, "crashtest: -signal %s: want KILL or INT\n", *sig)
		os.Exit(2)
	}
	if *verbose {
		o.log = os.Stderr
	}
	start := time.Now()
	res, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashtest:", err)
		os.Exit(1)
	}
	fmt.Println(res.line())
	fmt.Fprintf(os.Stderr, "crashtest: %s in %.1fs\n", res.describe(), time.Since(start).Seconds())
	for _, n := range res.notes {
		fmt.Fprintln(os.Stderr, "crashtest: FAIL:", n)
	}
	if !res.ok() {
		os.Exit(1)
	}
}

// options configure a crash test.
type options struct {
	kills  int
	signal syscall.Signal
	seed   uint64
	log    io.Writer // per-process details, or nil
}

// maxDelay bounds the random delay between a child having loaded its data
// and the kill: long enough for trials to make progress between kills,
// short enough that most kills land amid checkpoint writes.
const maxDelay = 300 * time.Millisecond

// result is what a crash test found.
type result struct {
	kills int
	counts
	// notes describe every failed check, counted or not.
	notes []string

	sweeps, launches, resumes int
	phases                    map[string]int // what the child did last before each kill
	slowestStop               time.Duration  // SIGINT: signal to exit
}

func (r *result) line() string {
	return fmt.Sprintf("kills: %d, lost: %d, duplicated: %d, mismatched: %d", r.kills, r.lost, r.duplicated, r.mismatched)
}

func (r *result) ok() bool { return len(r.notes) == 0 && r.counts == counts{} }

func (r *result) describe() string {
	var phases []string
	for _, k := range slices.Sorted(maps.Keys(r.phases)) {
		phases = append(phases, fmt.Sprintf("%s %d", k, r.phases[k]))
	}
	s := fmt.Sprintf("%d sweeps, %d child processes, %d trial starts resumed from a checkpoint; each kill came after: %s",
		r.sweeps, r.launches, r.resumes, strings.Join(phases, ", "))
	if r.slowestStop > 0 {
		s += fmt.Sprintf("; slowest graceful stop %.0fms", r.slowestStop.Seconds()*1000)
	}
	return s
}

// run builds the reference, then kills sweeps until o.kills kills landed and
// the last sweep completed. err is for failures of the test itself.
func run(o options) (*result, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "crashtest")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	refPath := filepath.Join(dir, "reference.db")
	if err := reference(refPath); err != nil {
		return nil, fmt.Errorf("uninterrupted run: %w", err)
	}
	want, err := readState(refPath)
	if err != nil {
		return nil, err
	}
	if len(want.trials) == 0 {
		return nil, errors.New("the uninterrupted run has no trials")
	}
	for id, t := range want.trials {
		if t.Status != store.Done {
			return nil, fmt.Errorf("uninterrupted trial %s is %s", id, t.Status)
		}
	}
	res := &result{phases: map[string]int{}}
	rng := rand.New(rand.NewPCG(o.seed, 0x5eed))
	for res.kills < o.kills || res.sweeps == 0 {
		res.sweeps++
		path := filepath.Join(dir, fmt.Sprintf("sweep%d.db", res.sweeps))
		if err := sweepOnce(o, exe, path, want, rng, res); err != nil {
			return res, err
		}
		if len(res.notes) > 0 {
			break // one broken sweep is enough to report
		}
		os.Remove(path)
	}
	if res.resumes == 0 && o.kills > 0 {
		res.notes = append(res.notes, "no trial ever resumed from a checkpoint: the kills proved nothing")
	}
	return res, nil
}

// sweepOnce runs one sweep into path through child processes, killing them
// while the kill budget lasts, and checks the result against want.
func sweepOnce(o options, exe, path string, want *dbState, rng *rand.Rand, res *result) error {
	note := func(format string, args ...any) { res.notes = append(res.notes, fmt.Sprintf(format, args...)) }
	launches := 0
	starts := map[string]int{}   // trial → starts seen
	finishes := map[string]int{} // trial → final outcomes seen
	interrupted := map[string]bool{}
	for {
		before, err := readState(path)
		if err != nil {
			return fmt.Errorf("reading %s after %d child processes: %w", path, launches, err)
		}
		for id, t := range before.trials {
			if t.Status == store.Running {
				interrupted[id] = true
			}
		}
		kill := res.kills < o.kills
		delay := time.Duration(rng.Int64N(int64(maxDelay)))
		launches++
		res.launches++
		c, err := launch(exe, path, kill, delay, o.signal)
		if err != nil {
			return err
		}
		for _, ev := range c.events {
			f := strings.Fields(ev)
			switch {
			case f[0] == "start" && len(f) == 3:
				id := f[1]
				step, _ := strconv.Atoi(f[2])
				starts[id]++
				delete(interrupted, id)
				if t, ok := before.trials[id]; ok && t.Status.Final() {
					res.duplicated++
					note("trial %s was %s and was trained again", id, t.Status)
				}
				if ck, ok := before.checkpoint[id]; ok && ck != step {
					note("trial %s started at update %d; its checkpoint was at %d", id, step, ck)
				}
				if step > 0 {
					res.resumes++
				}
			case f[0] == "finish" && len(f) == 3:
				if store.Status(f[2]).Final() {
					if finishes[f[1]]++; finishes[f[1]] > 1 {
						res.duplicated++
						note("trial %s finished %d times", f[1], finishes[f[1]])
					}
				}
			case f[0] == "warn":
				note("warning from the sweep: %s", strings.TrimPrefix(ev, "warn "))
			}
		}
		if o.log != nil {
			fmt.Fprintf(o.log, "sweep %d, child %d: delay %v, %s, %d events, last %q\n",
				res.sweeps, launches, delay.Round(time.Millisecond), c.outcome, len(c.events), c.last)
		}
		switch c.outcome {
		case "completed":
			after, err := readState(path)
			if err != nil {
				return err
			}
			for id := range interrupted {
				note("trial %s was left running by a kill and never restarted", id)
			}
			// An attempt is stored with a trial's first checkpoint or result,
			// so a start killed before either does not count.
			for id, n := range starts {
				if t := after.trials[id]; t.Attempts > n {
					note("trial %s has %d attempts but started %d times", id, t.Attempts, n)
				}
			}
			got, notes := compare(after, want, launches)
			res.lost += got.lost
			res.duplicated += got.duplicated
			res.mismatched += got.mismatched
			res.notes = append(res.notes, notes...)
			return nil
		case "killed":
			res.kills++
			res.phases[c.last]++
			if o.signal == syscall.SIGINT {
				res.slowestStop = max(res.slowestStop, c.stop)
				after, err := readState(path)
				if err != nil {
					return err
				}
				for id, t := range after.trials {
					if t.Status == store.Running {
						note("trial %s left running after a graceful stop", id)
					}
				}
			}
		default:
			note("child process %d of sweep %d: %s", launches, res.sweeps, c.outcome)
			return nil
		}
		if launches > 1000 {
			return fmt.Errorf("sweep %d does not complete after %d child processes", res.sweeps, launches)
		}
	}
}

// childRun is what one child process did.
type childRun struct {
	events  []string
	outcome string // completed, killed, or what went wrong
	last    string // the child's last event before the signal
	stop    time.Duration
}

// stopTimeout bounds a graceful stop; the slowest seen is reported.
const stopTimeout = 30 * time.Second

// launch runs one child on path. With kill set it sends sig delay after the
// child has loaded its data, unless the child completes first.
func launch(exe, path string, kill bool, delay time.Duration, sig syscall.Signal) (*childRun, error) {
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &childRun{}
	var mu sync.Mutex
	loaded := make(chan struct{})
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			mu.Lock()
			c.events = append(c.events, sc.Text())
			mu.Unlock()
			if sc.Text() == "loaded" {
				close(loaded)
			}
		}
		exited <- cmd.Wait()
	}()
	var werr error
	signalled := false
	var sentAt time.Time
	if kill {
		select {
		case <-loaded:
			select {
			case <-time.After(delay):
				mu.Lock()
				c.last = phase(c.events)
				mu.Unlock()
				sentAt = time.Now()
				signalled = cmd.Process.Signal(sig) == nil
			case werr = <-exited:
			}
		case werr = <-exited:
		case <-time.After(2 * time.Minute):
			cmd.Process.Kill()
			return nil, errors.New("a child did not load its data within 2 minutes")
		}
	}
	if !sentAt.IsZero() {
		select {
		case werr = <-exited:
		case <-time.After(stopTimeout):
			cmd.Process.Kill()
			<-exited
			c.outcome = fmt.Sprintf("did not exit within %v of %v", stopTimeout, sig)
			return c, nil
		}
		c.stop = time.Since(sentAt)
	} else if werr == nil && !kill {
		werr = <-exited
	}
	state := cmd.ProcessState
	ws, _ := state.Sys().(syscall.WaitStatus)
	switch {
	case state.Success():
		c.outcome = "completed"
	case signalled && sig == syscall.SIGKILL && ws.Signaled() && ws.Signal() == syscall.SIGKILL:
		c.outcome = "killed"
	case signalled && sig == syscall.SIGINT && state.ExitCode() == exitInterrupted:
		c.outcome = "killed"
	default:
		c.outcome = fmt.Sprintf("ended with %v: %s", werr, strings.TrimSpace(stderr.String()))
	}
	return c, nil
}

// phase names what a child did last: a write it was committing, or the
// trial event it reported.
func phase(events []string) string {
	if len(events) == 0 {
		return "start"
	}
	f := strings.Fields(events[len(events)-1])
	if f[0] == "write" && len(f) > 1 {
		return f[1]
	}
	return f[0]
}
