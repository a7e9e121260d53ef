package report

import (
	"context"

	"github.com/sweep-ml/sweep/pkg/store"
)

// eachTrial is db.ForEachTrial stopping with ctx's error once ctx is done,
// so that reading a large sweep can be interrupted between trials.
func eachTrial(ctx context.Context, db *store.DB, fn func(store.Trial) error) error {
	return db.ForEachTrial(func(t store.Trial) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(t)
	})
}
