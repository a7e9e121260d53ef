package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/search"
	"github.com/sweep-ml/sweep/pkg/store"
)

// openPTY opens a pseudo-terminal 120 columns wide and returns its
// controlling side and the terminal a program writes to (Linux: /dev/ptmx).
func openPTY(t *testing.T) (ctrl, term *os.File) {
	t.Helper()
	ctrl, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	fd := int(ctrl.Fd())
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err == nil {
		err = unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0)
	}
	if err != nil {
		ctrl.Close()
		t.Fatalf("unlock pseudo-terminal: %v", err)
	}
	term, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		ctrl.Close()
		t.Fatal(err)
	}
	if err := unix.IoctlSetWinsize(int(term.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 120}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ctrl.Close(); term.Close() })
	return ctrl, term
}

// drain collects everything written to the terminal until it is closed.
func drain(ctrl *os.File) <-chan string {
	out := make(chan string, 1)
	go func() {
		var b bytes.Buffer
		io.Copy(&b, ctrl) // ends with EIO once the terminal side is closed
		out <- b.String()
	}()
	return out
}

// settledGoroutines waits until no more than want goroutines run, so that a
// display left open (mpb's render loop) shows as goroutines that never end.
func settledGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines still run, %d before the sweep:\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func tinyConfig(t *testing.T) config.Config {
	t.Helper()
	cfg, err := config.Parse(strings.NewReader(tinySweep), config.ParseOptions{File: "tiny.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestProgressTerminal runs a sweep with its progress on a terminal: mpb
// draws live bars (run it with -race: mpb's goroutine reads what the
// workers update), and they are gone once the sweep returns.
func TestProgressTerminal(t *testing.T) {
	ctrl, term := openPTY(t)
	output := drain(ctrl)
	before := runtime.NumGoroutine()
	var out bytes.Buffer
	db := filepath.Join(t.TempDir(), "tiny.db")
	if err := runSweep(t.Context(), tinyConfig(t), db, store.Options{Create: true}, search.RunOptions{Workers: 2}, natsOptions{}, &out, term); err != nil {
		t.Fatal(err)
	}
	settledGoroutines(t, before)
	term.Close()
	screen := <-output
	for _, want := range []string{"stage coarse: 3 trials, 3 to train", "\x1b[", "3/3 trials", "100 %", "done: val "} {
		if !strings.Contains(screen, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, screen)
		}
	}
	if !strings.Contains(out.String(), "database: "+db) {
		t.Errorf("standard output lacks the ranking's end:\n%s", out.String())
	}
}

// TestProgressClosedOnEarlyReturn: a sweep that stops before it trains
// (here interrupted while loading its data) still closes the display.
func TestProgressClosedOnEarlyReturn(t *testing.T) {
	_, term := openPTY(t)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	db := filepath.Join(t.TempDir(), "tiny.db")
	err := runSweep(ctx, tinyConfig(t), db, store.Options{Create: true}, search.RunOptions{Workers: 2}, natsOptions{}, io.Discard, term)
	if err == nil {
		t.Fatal("a cancelled sweep returned no error")
	}
	settledGoroutines(t, before)
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("a sweep interrupted while loading left %s behind (%v)", db, err)
	}
}
