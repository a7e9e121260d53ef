package data

import (
	"context"
	"errors"
	"testing"
)

// A load asked to stop returns the context's error, not a data error, so a
// command reports an interruption rather than bad input.
func TestLoadCancelled(t *testing.T) {
	dir := t.TempDir()
	writeIDX(t, dir, true, 30, 5)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, spec := range []Spec{{Source: SourceIDX, Dir: dir, Validation: Validation{Holdout: intp(10)}}, {Source: SourceEmbedded}} {
		ds, err := Load(ctx, spec)
		if !errors.Is(err, context.Canceled) || ds != nil {
			t.Errorf("%s: Load with a cancelled context: %v, %v; want context.Canceled", spec.Source, ds, err)
		}
		var de *Error
		if errors.As(err, &de) {
			t.Errorf("%s: a cancelled load is reported as a data error: %v", spec.Source, err)
		}
	}
}
