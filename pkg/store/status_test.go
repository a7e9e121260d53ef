package store

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStatusSnapshotRoundTrip(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "sweep.db")
	if StatusPath(dbPath) != dbPath+".status" {
		t.Fatalf("StatusPath = %q", StatusPath(dbPath))
	}
	if _, err := ReadStatus(dbPath); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadStatus without snapshot: err = %v, want ErrNotExist", err)
	}
	want := StatusSnapshot{
		PID: os.Getpid(), Updated: time.Date(2025, 3, 4, 5, 6, 7, 8, time.UTC), Live: true, Sweep: "s",
		Stages: []StageCounts{{Name: "coarse", Total: 10, Counts: map[Status]int{Done: 4, Running: 2, Pending: 4}}},
		Running: []RunningTrial{
			{ID: "a", Stage: "coarse", Params: map[string]float64{"lambda": 0.01}, Epoch: 1.5, Step: 150, TotalSteps: 1000, ValAccuracy: f64(0.41)},
			{ID: "b", Stage: "coarse", Step: 0, TotalSteps: 1000},
		},
	}
	if err := WriteStatus(dbPath, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadStatus(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadStatus = %+v\nwant %+v", got, want)
	}

	// A diverging trial's NaN accuracy must not break the snapshot.
	want.Running[1].ValAccuracy = f64(math.NaN())
	if err := WriteStatus(dbPath, want); err != nil {
		t.Fatal(err)
	}
	got, err = ReadStatus(dbPath)
	if err != nil || got.Running[1].ValAccuracy == nil || !math.IsNaN(*got.Running[1].ValAccuracy) {
		t.Fatalf("NaN accuracy: %+v, %v", got.Running, err)
	}

	// Only the snapshot is left behind: temp files are renamed away.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "sweep.db.status" {
		t.Errorf("dir holds %v", entries)
	}
}

// TestStatusWriteIsAtomic reads while another goroutine keeps rewriting: a
// reader must always see a whole snapshot, never a partial file.
func TestStatusWriteIsAtomic(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "sweep.db")
	big := StatusSnapshot{PID: 1, Live: true, Running: make([]RunningTrial, 200)}
	for i := range big.Running {
		big.Running[i] = RunningTrial{ID: strings.Repeat("x", 64), Stage: "coarse", Step: i}
	}
	if err := WriteStatus(dbPath, big); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			big.PID = i
			if err := WriteStatus(dbPath, big); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 300 {
		s, err := ReadStatus(dbPath)
		if err != nil || len(s.Running) != 200 {
			t.Errorf("partial snapshot: %d running, %v", len(s.Running), err)
			break
		}
	}
	close(stop)
	wg.Wait()
}

func TestStatusIsLive(t *testing.T) {
	now := time.Now()
	exited := exec.Command(os.Args[0], "-test.run=^$")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		s    StatusSnapshot
		want bool
	}{
		{"fresh, own process", StatusSnapshot{PID: os.Getpid(), Live: true, Updated: now.Add(-time.Second)}, true},
		{"stale", StatusSnapshot{PID: os.Getpid(), Live: true, Updated: now.Add(-time.Minute)}, false},
		{"finished cleanly", StatusSnapshot{PID: os.Getpid(), Live: false, Updated: now}, false},
		{"process gone", StatusSnapshot{PID: exited.Process.Pid, Live: true, Updated: now}, false},
		{"no pid", StatusSnapshot{Live: true, Updated: now}, false},
	}
	for _, c := range cases {
		if got := c.s.IsLive(now, StatusStaleAfter); got != c.want {
			t.Errorf("%s: IsLive = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestFindDB(t *testing.T) {
	sweepDB := func(t *testing.T, path string) {
		db, err := Open(path, Options{Create: true})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	other := func(t *testing.T, path string) { os.WriteFile(path, []byte("not bbolt"), 0o644) }

	cases := []struct {
		name  string
		files map[string]func(*testing.T, string)
		want  string // file name found, or a substring of the error
		ok    bool
	}{
		{"empty dir", nil, "no sweep database in", false},
		{"only foreign .db", map[string]func(*testing.T, string){"x.db": other}, "; pass --db", false},
		{"one sweep among others", map[string]func(*testing.T, string){"a.db": other, "b.db": sweepDB, "c.txt": sweepDB}, "b.db", true},
		{"two sweeps", map[string]func(*testing.T, string){"a.db": sweepDB, "b.db": sweepDB}, "a.db, ", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, mk := range c.files {
				mk(t, filepath.Join(dir, name))
			}
			got, err := FindDB(dir)
			if c.ok {
				if err != nil || got != filepath.Join(dir, c.want) {
					t.Fatalf("FindDB = %q, %v; want %s", got, err, c.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "store: ") {
				t.Fatalf("FindDB = %q, %v; want an error containing %q", got, err, c.want)
			}
		})
	}

	t.Run("sweep locked by a writer", func(t *testing.T) {
		db, path := newDB(t, Options{})
		start := time.Now()
		got, err := FindDB(filepath.Dir(path))
		if err != nil || got != path {
			t.Fatalf("FindDB = %q, %v; want %s", got, err, path)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("FindDB took %v on a locked database", d)
		}
		db.Close()
	})
}
