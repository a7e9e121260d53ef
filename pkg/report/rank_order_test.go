package report

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sweep-ml/sweep/pkg/store"
)

// Trials that are not done follow the done ones in the order their stages
// ran, whatever the stages' names.
func TestUnfinishedRankInStageOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "order.db")
	db, err := store.Open(path, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pending := func(id, stage string, index int) store.Trial {
		return store.Trial{ID: id, Stage: stage, Index: index, Status: store.Pending, Params: map[string]float64{"lambda": 0.1}}
	}
	spec := func(name string) json.RawMessage {
		return json.RawMessage(`{"name":"` + name + `","sampler":"random","seeds":1,"space":{"lambda":{"log10":[-5,-1]}},"trials":2}`)
	}
	// "zeta" runs first, "alpha" second: by name they would swap.
	for _, st := range []struct {
		stage  store.Stage
		trials []store.Trial
	}{
		{store.Stage{Name: "zeta", Index: 0, Spec: spec("zeta"), TrialIDs: []string{"z0", "z1"}}, []store.Trial{pending("z0", "zeta", 0), pending("z1", "zeta", 1)}},
		{store.Stage{Name: "alpha", Index: 1, Spec: spec("alpha"), TrialIDs: []string{"a0", "a1"}}, []store.Trial{pending("a0", "alpha", 0), pending("a1", "alpha", 1)}},
	} {
		if err := db.PutStage(st.stage, st.trials...); err != nil {
			t.Fatal(err)
		}
	}
	done := pending("a1", "alpha", 1)
	done.Status, done.Final = store.Done, store.Metrics{ValAccuracy: f64(0.5), ValCost: f64(1)}
	w := &store.Weights{M: 1, D: 1, K: 1, W1: []float64{1}, B1: []float64{0}, W2: []float64{1}, B2: []float64{0}}
	if err := db.FinishTrial(done, nil, w); err != nil {
		t.Fatal(err)
	}
	rows, err := Rank(t.Context(), db, Selection{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	if want := []string{"a1", "z0", "z1", "a0"}; !slices.Equal(ids, want) {
		t.Fatalf("ranking %v, want %v: the done trial, then stage zeta's, then alpha's", ids, want)
	}
}
