package report

import (
	"context"
	"errors"
	"io"
	"testing"
)

// Every reader of a whole sweep stops with the context's error once its
// context is done, so a command on a large database can be interrupted.
func TestReadersStopWhenCancelled(t *testing.T) {
	db := fixedDB(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for name, read := range map[string]func() error{
		"Rank":          func() error { _, err := Rank(ctx, db, Selection{}); return err },
		"Rank stage":    func() error { _, err := Rank(ctx, db, Selection{Stage: "fine"}); return err },
		"Summarize":     func() error { _, err := Summarize(ctx, db); return err },
		"FindTrial":     func() error { _, err := FindTrial(ctx, db, "c"); return err },
		"WriteHTML":     func() error { return WriteHTML(ctx, io.Discard, db, HTMLOptions{}) },
		"PlotSweep":     func() error { return PlotSweep(ctx, io.Discard, "svg", db) },
		"PlotTop":       func() error { return PlotTop(ctx, io.Discard, "svg", db, 3) },
		"histories":     func() error { return WriteHistories(ctx, io.Discard, db, "csv", "") },
		"stage history": func() error { return WriteHistories(ctx, io.Discard, db, "jsonl", "fine") },
	} {
		if err := read(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v, want context.Canceled", name, err)
		}
	}
}
