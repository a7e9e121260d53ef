package store_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/sweep-ml/sweep/pkg/store"
)

func Example() {
	dir, err := os.MkdirTemp("", "sweep-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sweep.db")

	// `sweep run` creates the database; other commands open it read-only.
	db, err := store.Open(path, store.Options{Create: true})
	if err != nil {
		log.Fatal(err)
	}
	if err := db.PutSweep(store.Sweep{Name: "demo", ConfigYAML: []byte("name: demo\n")}); err != nil {
		log.Fatal(err)
	}
	// A stage is stored with the trials it lists for the first time.
	trial := store.Trial{ID: "t1", Stage: "coarse", Status: store.Pending, Params: map[string]float64{"lambda": 0.01}}
	if err := db.PutStage(store.Stage{Name: "coarse", Index: 0, TrialIDs: []string{"t1"}}, trial); err != nil {
		log.Fatal(err)
	}
	db.Close()

	db, err = store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	s, _ := db.Sweep()
	st, _ := db.Stage("coarse")
	t, _ := db.Trial(st.TrialIDs[0])
	fmt.Println(s.Name, st.Name, t.ID, t.Status, t.Params["lambda"])
	// Output: demo coarse t1 pending 0.01
}
