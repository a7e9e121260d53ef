//go:build unix

package data

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Data may stream in through a named pipe, where a read blocks until the
// writer sends more: cancelling must end the load even then.
func TestLoadCancelledWhileReadingAPipe(t *testing.T) {
	dir := t.TempDir()
	writeIDX(t, dir, false, 30, 5)
	images := filepath.Join(dir, "train-images-idx3-ubyte")
	content, err := os.ReadFile(images)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(images)
	if err := syscall.Mkfifo(images, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Load(ctx, Spec{Source: SourceIDX, Dir: dir, Validation: Validation{Holdout: intp(10)}})
		done <- err
	}()
	// Opening for writing waits for the loader to open the pipe; half the
	// file is sent and the pipe kept open, so the loader's next read blocks.
	opened := make(chan *os.File, 1)
	go func() {
		w, err := os.OpenFile(images, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
		}
		opened <- w
	}()
	var w *os.File
	select {
	case w = <-opened:
	case err := <-done:
		t.Fatalf("Load ended before opening the pipe: %v", err)
	}
	if w == nil {
		return
	}
	defer w.Close()
	if _, err := w.Write(content[:len(content)/2]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Load cancelled mid-file: %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Load still blocked on the pipe 5s after cancellation")
	}
}
