package store

import (
	"errors"
	"testing"
)

// A stage and the trials it lists for the first time are stored in one
// transaction: all of them, or, when the write fails, none.
func TestPutStageCreatesTrialsAtomically(t *testing.T) {
	fail := false
	errDisk := errors.New("disk full")
	db, _ := newFaultyDB(t, func(op string) error {
		if fail && op == "put_stage" {
			return errDisk
		}
		return nil
	})
	st := Stage{Name: "coarse", Index: 0, TrialIDs: []string{"a", "b"}}
	trials := []Trial{{ID: "a", Stage: "coarse", Status: Pending}, {ID: "b", Stage: "coarse", Index: 1, Status: Pending}}

	fail = true
	if err := db.PutStage(st, trials...); !errors.Is(err, errDisk) {
		t.Fatalf("PutStage with a failing write: %v", err)
	}
	if _, err := db.Trial("a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a failed stage write left trial a behind: %v", err)
	}
	if stages, _ := db.Stages(); len(stages) != 0 {
		t.Fatalf("a failed stage write left %d stages", len(stages))
	}

	fail = false
	if err := db.PutStage(st, trials...); err != nil {
		t.Fatal(err)
	}
	for _, want := range trials {
		got, err := db.Trial(want.ID)
		if err != nil || got.Stage != "coarse" || got.Index != want.Index || got.Status != Pending {
			t.Fatalf("trial %s: %+v, %v", want.ID, got, err)
		}
	}
	if err := db.PutStage(st, Trial{ID: "c", Status: Done}); err == nil {
		t.Fatal("PutStage created a trial as done, which only FinishTrial may do")
	}
}
