package report

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/store"
)

// decodeDB is a one-trial sweep whose stage spec, derived values and trial
// settings are the given JSON.
func decodeDB(t *testing.T, spec, derived, settings string) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "d.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	id := "abcdefabcdefabcdefabcdef"
	if err := db.PutSweep(store.Sweep{Name: "d", DataFingerprint: "fp"}); err != nil {
		t.Fatal(err)
	}
	tr := store.Trial{ID: id, Stage: "s", Params: map[string]float64{"lambda": 1e-3}, Config: []byte(settings), Status: store.Pending}
	if err := db.PutStage(store.Stage{Name: "s", Spec: []byte(spec), Derived: []byte(derived), TrialIDs: []string{id}, Reused: []bool{false}}, tr); err != nil {
		t.Fatal(err)
	}
	return db
}

// A stored spec, derived value or trial config that does not decode is an
// error naming what is wrong, never a blank cell or a shorter line.
func TestUndecodableStoredJSONIsAnError(t *testing.T) {
	const (
		spec     = `{"name":"s","sampler":"random","seeds":1,"space":{"lambda":{"log10":[-5,-1]}},"trials":1}`
		derived  = `{}`
		settings = `{"eta_max":0.1,"eta_min":0.00001,"hidden":8,"step_size":100}`
	)
	if _, err := Summarize(t.Context(), decodeDB(t, spec, derived, settings)); err != nil {
		t.Fatalf("good sweep: %v", err)
	}
	for _, tc := range []struct {
		name                    string
		spec, derived, settings string
		want                    string
	}{
		{"spec with a renamed key", strings.Replace(spec, `"sampler"`, `"sampling"`, 1), derived, settings, `sampling: unknown key`},
		{"spec with a wrong type", strings.Replace(spec, `"seeds":1`, `"seeds":"1"`, 1), derived, settings, `seeds`},
		{"derived with a renamed key", spec, `{"range":{"lambda":[-4,-3]}}`, settings, `unknown field "range"`},
		{"settings with a renamed key", spec, derived, strings.Replace(settings, `"hidden"`, `"hidden_units"`, 1), `unknown setting "hidden_units"`},
		{"settings with a wrong type", spec, derived, strings.Replace(settings, `"step_size":100`, `"step_size":"often"`, 1), `step_size`},
	} {
		db := decodeDB(t, tc.spec, tc.derived, tc.settings)
		var errs []error
		_, err := Summarize(t.Context(), db)
		errs = append(errs, err)
		rows, err := Rank(t.Context(), db, Selection{})
		if err == nil {
			err = WriteJSON(&bytes.Buffer{}, rows)
		}
		errs = append(errs, err)
		trial, err := db.Trial("abcdefabcdefabcdefabcdef")
		if err != nil {
			t.Fatal(err)
		}
		err = WriteTrial(&bytes.Buffer{}, db, trial)
		errs = append(errs, err)
		err = PlotTrial(&bytes.Buffer{}, "svg", trial, []store.Record{{Step: 0}, {Step: 10, Epoch: 1}})
		errs = append(errs, err)
		failed := 0
		for _, err := range errs {
			if err != nil {
				failed++
				if !strings.Contains(err.Error(), tc.want) || !errors.Is(err, config.ErrEncoding) {
					t.Errorf("%s: %v, want an ErrEncoding containing %q", tc.name, err, tc.want)
				}
			}
		}
		if failed == 0 {
			t.Errorf("%s: summary, JSON ranking, show and plot all succeeded", tc.name)
		}
	}
}
