package search

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/store"
	"github.com/sweep-ml/sweep/pkg/train"
)

// A config that changes a stored later stage is refused before an earlier
// stage's new trials train, and the database file is left as it was.
func TestChangedLaterStageRefusedBeforeTraining(t *testing.T) {
	src := func(trials, hi string) string {
		return tinyBase + `
search:
  stages:
    - name: first
      sampler: random
      trials: ` + trials + `
      space: {lambda: {log10: [-4, -2]}}
    - name: second
      sampler: grid
      trials: 2
      space: {lambda: {log10: [-3, ` + hi + `]}}
`
	}
	path := filepath.Join(t.TempDir(), "p.db")
	if err := sweepRun(t.Context(), t, parseConfig(t, src("1", "-1")), path, RunOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// One more trial on the first stage (allowed alone) and another range
	// on the second (refused).
	r, err := NewRunner(t.Context(), parseConfig(t, src("2", "-2")), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	trained := 0
	r.trainFn = func(ctx context.Context, c train.Config, ds *train.Dataset, o train.Options) (*train.Result, error) {
		trained++
		return train.Train(ctx, c, ds, o)
	}
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Prepare(db)
	if err == nil {
		err = r.Run(t.Context(), db)
	}
	db.Close()
	if !errors.Is(err, ErrStageChanged) || !strings.Contains(err.Error(), `stage "second"`) {
		t.Fatalf("err = %v, want ErrStageChanged naming stage second", err)
	}
	if trained != 0 {
		t.Errorf("%d trials trained before the refusal", trained)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Error("the refused run changed the database file")
	}
}
