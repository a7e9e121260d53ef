package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Every command stops on SIGINT or SIGTERM and exits 128 + the signal's
// number, as a shell reports a process the signal ended. These tests stop
// commands mid-work, in each of the places a command spends its time:
// loading data, training, reading a database while writing its output.

var signals = []struct {
	sig  syscall.Signal
	code int
	word string // how the last line of stderr names it
}{
	{syscall.SIGINT, exitInterrupted, "interrupted"},
	{syscall.SIGTERM, exitTerminated, "terminated"},
}

// lastLine is the last line a process wrote to stderr.
func lastLine(stderr string) string {
	s := strings.TrimSuffix(stderr, "\n")
	return s[strings.LastIndex(s, "\n")+1:]
}

// dbFiles lists the sweep databases in dir.
func dbFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.db"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSignalWhileLoading stops run, run --plan and train while they read
// their data from a named pipe that the test feeds: the loader is blocked
// mid-file when the signal comes, and nothing may be created.
func TestSignalWhileLoading(t *testing.T) {
	cfg := idxConfig + `search:
  stages:
    - name: coarse
      sampler: grid
      trials: 2
      space: {lambda: {log10: [-4, -2]}}
`
	images := idxFiles()["idx/"+trainImages]
	for _, args := range [][]string{{"run", "c.yaml"}, {"run", "--plan", "c.yaml"}, {"train", "c.yaml"}} {
		for _, s := range signals {
			t.Run(strings.Join(args, " ")+" "+s.word, func(t *testing.T) {
				dir := t.TempDir()
				for name, b := range idxFiles() {
					writeFile(t, filepath.Join(dir, name), b)
				}
				writeFile(t, filepath.Join(dir, "c.yaml"), []byte(cfg))
				fifo := filepath.Join(dir, "idx", trainImages)
				os.Remove(fifo)
				if err := syscall.Mkfifo(fifo, 0o600); err != nil {
					t.Skipf("no named pipes: %v", err)
				}
				p := startSweep(t, dir, args...)
				// Opening the pipe for writing waits until sweep opens it.
				opened := make(chan *os.File, 1)
				go func() {
					w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
					if err != nil {
						t.Error(err)
					}
					opened <- w
				}()
				var w *os.File
				select {
				case w = <-opened:
				case <-p.done:
					t.Fatalf("sweep ended (exit %d) before reading its data:\n%s", p.code, p.stderr)
				case <-time.After(30 * time.Second):
					t.Fatalf("sweep did not open its data in 30s:\n%s", p.stderr)
				}
				if w == nil {
					return
				}
				defer w.Close()
				if _, err := w.Write(images[:len(images)/2]); err != nil {
					t.Fatal(err)
				}
				time.Sleep(100 * time.Millisecond)
				if err := p.cmd.Process.Signal(s.sig); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				if code := p.wait(t, 5*time.Second); code != s.code {
					t.Errorf("exit %d after %v while loading, want %d:\n%s", code, s.sig, s.code, p.stderr)
				}
				if took := time.Since(start); took > 2*time.Second {
					t.Errorf("took %v to stop after %v", took, s.sig)
				}
				if line := lastLine(p.stderr.String()); !strings.HasPrefix(line, "sweep: "+s.word) {
					t.Errorf("last stderr line %q, want it to start %q", line, "sweep: "+s.word)
				}
				if dbs := dbFiles(t, dir); len(dbs) > 0 {
					t.Errorf("interrupted while loading, yet created %v", dbs)
				}
			})
		}
	}
}

// TestSIGTERMWhileTraining: run checkpoints on SIGTERM as on SIGINT
// (TestInterruptAndResume), exits 143, and the next run resumes.
func TestSIGTERMWhileTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("trains several seconds")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "slow.yaml"), []byte(slowSweep))
	p := startSweep(t, dir, "run", "slow.yaml")
	waitForProgress(t, p, filepath.Join(dir, "slow.db"))
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 5*time.Second); code != exitTerminated {
		t.Errorf("exit %d after SIGTERM, want %d:\n%s", code, exitTerminated, p.stderr)
	}
	if line := lastLine(p.stderr.String()); line != "sweep: terminated; run the same command again to resume" {
		t.Errorf("last stderr line %q", line)
	}
	r := mustSweep(t, dir, "run", "slow.yaml")
	if !strings.Contains(r.stderr, "resumed at step") {
		t.Errorf("the rerun resumed no trial from a checkpoint:\n%s", r.stderr)
	}
}

// longStage is a stage name long enough that every read command's output
// overflows a one-page pipe: a reader that stops reading holds the command
// mid-write, where the test signals it.
var longStage = "long-" + strings.Repeat("x", 8000)

var (
	longOnce sync.Once
	longDB   string
	longErr  string
)

// longNameDB is a database of 10 trials of 11 records in a stage named
// longStage, made once; callers copy it.
func longNameDB(t *testing.T) string {
	t.Helper()
	longOnce.Do(func() {
		// Beside the binary, which TestMain removes.
		dir, err := os.MkdirTemp(filepath.Dir(sweepBin), "longdb-")
		if err != nil {
			longErr = err.Error()
			return
		}
		cfg := strings.NewReplacer("- name: coarse", "- name: "+longStage, "trials: 3", "trials: 10", "records_per_cycle: 4", "records_per_cycle: 10").Replace(tinySweep)
		if err := os.WriteFile(filepath.Join(dir, "tiny.yaml"), []byte(cfg), 0o644); err != nil {
			longErr = err.Error()
			return
		}
		cmd := exec.Command(sweepBin, "run", "tiny.yaml")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			longErr = fmt.Sprintf("sweep run: %v\n%s", err, out)
			return
		}
		longDB = filepath.Join(dir, "tiny.db")
	})
	if longErr != "" {
		t.Fatal(longErr)
	}
	return longDB
}

// TestSignalWhileWriting signals read commands while their output is
// held in a full pipe: each must exit with the signal's code (the first
// Ctrl-C is not swallowed), and an export stops streaming.
func TestSignalWhileWriting(t *testing.T) {
	src, err := os.ReadFile(longNameDB(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tiny.db"), src)
	full := len(mustSweep(t, dir, "export", "histories").stdout)
	id, _ := bestTrial(t, dir)
	for _, args := range [][]string{
		{"report"},
		{"report", "--format", "csv"},
		{"report", "--format", "html"},
		{"export", "histories"},
		{"export", "histories", "--format", "jsonl"},
		{"show", id},
		{"status"},
	} {
		for _, s := range signals {
			t.Run(strings.Join(args, " ")+" "+s.word, func(t *testing.T) {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				if _, err := unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, 4096); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command(sweepBin, args...)
				cmd.Dir = dir
				var stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = w, &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				w.Close()
				// The first bytes show the command is writing; then the
				// pipe fills and holds it.
				first := make([]byte, 1)
				if _, err := io.ReadFull(r, first); err != nil {
					cmd.Wait()
					t.Fatalf("no output: %v\n%s", err, stderr.String())
				}
				time.Sleep(100 * time.Millisecond)
				if err := cmd.Process.Signal(s.sig); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				// Give the signal time to arrive before the pipe drains: on
				// two busy cores the command could otherwise write much more
				// before its signal goroutine runs.
				time.Sleep(200 * time.Millisecond)
				var out bytes.Buffer
				copied := make(chan struct{})
				go func() { io.Copy(&out, r); close(copied) }()
				done := make(chan struct{})
				go func() { cmd.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(5 * time.Second):
					cmd.Process.Kill()
					<-done
					t.Fatalf("still running 5s after %v", s.sig)
				}
				<-copied
				if took := time.Since(start); took > 2*time.Second {
					t.Errorf("took %v to stop after %v", took, s.sig)
				}
				if code := cmd.ProcessState.ExitCode(); code != s.code {
					t.Errorf("exit %d after %v, want %d:\n%s", code, s.sig, s.code, stderr.String())
				}
				if line := lastLine(stderr.String()); line != "sweep: "+s.word {
					t.Errorf("last stderr line %q, want %q", line, "sweep: "+s.word)
				}
				if args[0] == "export" && out.Len() >= full/2 {
					t.Errorf("wrote %d of the export's %d bytes after %v; want it cut short", 1+out.Len(), full, s.sig)
				}
			})
		}
	}
}

// TestSignalWhilePlotting signals plot once it has written its first file:
// it stops before the rest.
func TestSignalWhilePlotting(t *testing.T) {
	src, err := os.ReadFile(longNameDB(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range signals {
		t.Run(s.word, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "tiny.db"), src)
			cmd := exec.Command(sweepBin, "plot", "--top", "10")
			cmd.Dir = dir
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// plot names each file once written; 12 are due.
			line := make([]byte, 1)
			for line[0] != '\n' {
				if _, err := io.ReadFull(stdout, line); err != nil {
					cmd.Wait()
					t.Fatalf("no file written: %v\n%s", err, stderr.String())
				}
			}
			if err := cmd.Process.Signal(s.sig); err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, stdout)
			cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != s.code {
				t.Errorf("exit %d after %v, want %d:\n%s", code, s.sig, s.code, stderr.String())
			}
			files, err := os.ReadDir(filepath.Join(dir, "plots"))
			if err != nil {
				t.Fatal(err)
			}
			if len(files) >= 12 {
				t.Errorf("plot wrote all %d files despite %v", len(files), s.sig)
			}
		})
	}
}

// TestSecondSignalExitsAtOnce: a command that cannot stop on the first
// signal (here report, its output held in a full pipe nobody reads) ends
// at once on the second, with the second's exit code.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	src, err := os.ReadFile(longNameDB(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tiny.db"), src)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, 4096); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sweepBin, "report")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	defer func() { cmd.Process.Kill(); <-done }()
	if _, err := io.ReadFull(r, make([]byte, 1)); err != nil {
		t.Fatalf("no output: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
		t.Fatalf("report ended on the first signal with its output still held (exit %d):\n%s", cmd.ProcessState.ExitCode(), stderr.String())
	case <-time.After(300 * time.Millisecond):
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("still running 2s after a second signal")
	}
	if code := cmd.ProcessState.ExitCode(); code != exitTerminated {
		t.Errorf("exit %d after SIGINT then SIGTERM, want %d (the second's)", code, exitTerminated)
	}
	if !strings.Contains(stderr.String(), "a second signal (terminated); stopping at once") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}
