package store

import (
	"errors"
	"reflect"
	"testing"
)

// MarkRung changes only the statuses of done trials, and again changes
// nothing; unfinished or missing trials are refused with nothing written.
func TestMarkRung(t *testing.T) {
	db, _ := newDB(t, Options{})
	var created []Trial
	for _, id := range []string{"a", "b", "c", "p"} {
		created = append(created, sampleTrial(id, Pending))
	}
	if err := db.PutStage(Stage{Name: "coarse", TrialIDs: []string{"a", "b", "c", "p"}}, created...); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c"} {
		tr := sampleTrial(id, Done)
		tr.CyclesTrained = 1
		if err := db.FinishTrial(tr, sampleHistory(3), sampleWeights(2, 3, 2, false, 1)); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := db.History("a")
	for range 2 {
		if err := db.MarkRung([]string{"a"}, []string{"b", "c"}); err != nil {
			t.Fatal(err)
		}
	}
	for id, want := range map[string]Status{"a": Promoted, "b": Pruned, "c": Pruned, "p": Pending} {
		tr, err := db.Trial(id)
		if err != nil || tr.Status != want {
			t.Errorf("trial %s: %s, %v; want %s", id, tr.Status, err, want)
		}
		if want != Pending {
			exp := sampleTrial(id, want)
			exp.CyclesTrained = 1
			if !reflect.DeepEqual(tr, exp) {
				t.Errorf("trial %s changed beyond its status:\n%+v\nwant\n%+v", id, tr, exp)
			}
		}
	}
	if after, _ := db.History("a"); !reflect.DeepEqual(after, before) {
		t.Errorf("history changed")
	}
	if err := db.MarkRung(nil, []string{"c", "p"}); err == nil {
		t.Errorf("marking a pending trial: no error")
	}
	if tr, _ := db.Trial("c"); tr.Status != Pruned {
		t.Errorf("a refused MarkRung wrote: c is %s", tr.Status)
	}
	if err := db.MarkRung([]string{"zz"}, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing trial: %v, want ErrNotFound", err)
	}
	// A trial a halving stage decided on is final: it is never trained again.
	if err := db.FinishTrial(sampleTrial("b", Done), nil, sampleWeights(2, 3, 2, false, 1)); !errors.Is(err, ErrTrialDone) {
		t.Errorf("finishing a pruned trial again: %v, want ErrTrialDone", err)
	}
}
