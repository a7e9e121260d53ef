package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestOpenCreateReopen(t *testing.T) {
	db, path := newDB(t, Options{})
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	if err := db.PutSweep(Sweep{Name: "s"}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for _, opts := range []Options{{}, {ReadOnly: true}, {Create: true}} {
		db, err := Open(path, opts)
		if err != nil {
			t.Fatalf("reopen %+v: %v", opts, err)
		}
		s, err := db.Sweep()
		db.Close()
		if err != nil || s.Name != "s" {
			t.Fatalf("reopen %+v: sweep %+v, %v", opts, s, err)
		}
	}

	missing := filepath.Join(t.TempDir(), "missing.db")
	for _, opts := range []Options{{}, {ReadOnly: true}} {
		if _, err := Open(missing, opts); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open missing %+v: err = %v, want ErrNotExist", opts, err)
		}
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open without Create created %s", missing)
	}
	if _, err := Open(missing, Options{ReadOnly: true, Create: true}); err == nil {
		t.Error("ReadOnly+Create accepted")
	}
}

// A crash or write error while creating leaves an empty bbolt file; the next
// `sweep run` must adopt it rather than call it foreign.
func TestCreateFailureIsRecoverable(t *testing.T) {
	fail := true
	path := faultyPath(t, func(op string) error {
		if fail && op == "open" {
			return errInjected
		}
		return nil
	})
	_, err := Open(path, Options{Create: true})
	fail = false
	if !errors.Is(err, errInjected) {
		t.Fatalf("err = %v, want the injected error", err)
	}
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrNotSweepDB) {
		t.Errorf("half-created file opened read-only: err = %v, want ErrNotSweepDB", err)
	}
	db, err := Open(path, Options{Create: true})
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	db.Close()
}

func TestReadOnlyRefusesWrites(t *testing.T) {
	db, path := newDB(t, Options{})
	db.Close()
	db, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PutTrial(sampleTrial("a", Pending)); err == nil || !strings.HasPrefix(err.Error(), "store: ") {
		t.Errorf("PutTrial on read-only db: err = %v", err)
	}
}

// openWithin runs Open and fails the test if it takes longer than limit, so
// a lock wait that hangs shows up as a failure, not a stuck test.
func openWithin(t *testing.T, limit time.Duration, path string, opts Options) (*DB, error, time.Duration) {
	t.Helper()
	type result struct {
		db  *DB
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		db, err := Open(path, opts)
		done <- result{db, err}
	}()
	select {
	case r := <-done:
		return r.db, r.err, time.Since(start)
	case <-time.After(limit):
		t.Fatalf("Open(%+v) still blocked after %v", opts, limit)
		return nil, nil, 0
	}
}

func TestLockSameProcess(t *testing.T) {
	writer, path := newDB(t, Options{})
	for _, opts := range []Options{{}, {Create: true}, {ReadOnly: true}} {
		db, err, took := openWithin(t, 5*time.Second, path, opts)
		if err == nil {
			db.Close()
			t.Fatalf("second Open(%+v) succeeded while a writer holds the file", opts)
		}
		if !errors.Is(err, ErrInUse) || err.Error() != ErrInUse.Error() {
			t.Errorf("Open(%+v): err = %v, want ErrInUse", opts, err)
		}
		if took > 2500*time.Millisecond {
			t.Errorf("Open(%+v) took %v to give up", opts, took)
		}
	}

	// Readers share the lock; once they are gone a writer gets in.
	writer.Close()
	r1, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	r1.Close()
	r2.Close()
	w, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("writer after readers closed: %v", err)
	}
	w.Close()
}

const helperEnv = "SWEEP_STORE_HELPER_DB"

// TestHelperProcess is not a test: TestLockOtherProcess runs the test binary
// again with this test selected, to hold the database from another process.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process for TestLockOtherProcess")
	}
	db, err := Open(path, Options{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin) // hold the lock until the parent closes stdin
	db.Close()
	os.Exit(0)
}

func TestLockOtherProcess(t *testing.T) {
	db, path := newDB(t, Options{})
	db.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}

	for _, opts := range []Options{{}, {ReadOnly: true}} {
		db, err, took := openWithin(t, 5*time.Second, path, opts)
		if err == nil {
			db.Close()
			t.Fatalf("Open(%+v) succeeded while another process holds the file", opts)
		}
		if !errors.Is(err, ErrInUse) {
			t.Errorf("Open(%+v): err = %v, want ErrInUse", opts, err)
		}
		if took > 2500*time.Millisecond {
			t.Errorf("Open(%+v) took %v to give up", opts, took)
		}
	}

	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("Open after helper exit: %v", err)
	}
	db.Close()
}

// writeBolt creates a plain bbolt file filled by fill.
func writeBolt(t *testing.T, path string, fill func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fill); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestNotSweepDB(t *testing.T) {
	random := make([]byte, 3*4096)
	rand.NewChaCha8([32]byte{1}).Read(random)
	cases := []struct {
		name string
		make func(t *testing.T, path string)
		// adoptable files hold no data, so Create may turn them into a sweep.
		adoptable bool
	}{
		{"random bytes", func(t *testing.T, p string) { os.WriteFile(p, random, 0o644) }, false},
		{"short text", func(t *testing.T, p string) { os.WriteFile(p, []byte("hello\n"), 0o644) }, false},
		{"empty file", func(t *testing.T, p string) { os.WriteFile(p, nil, 0o644) }, true},
		{"bbolt with other buckets", func(t *testing.T, p string) {
			writeBolt(t, p, func(tx *bolt.Tx) error {
				b, err := tx.CreateBucket([]byte("users"))
				if err != nil {
					return err
				}
				return b.Put([]byte("alice"), []byte("1"))
			})
		}, false},
		{"bbolt with a wrong magic", func(t *testing.T, p string) {
			writeBolt(t, p, func(tx *bolt.Tx) error {
				b, err := tx.CreateBucket(bucketMeta)
				if err != nil {
					return err
				}
				return b.Put(keyMagic, []byte("someone-else"))
			})
		}, false},
		{"bbolt without buckets", func(t *testing.T, p string) {
			writeBolt(t, p, func(tx *bolt.Tx) error { return nil })
		}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.db")
			c.make(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			modes := []Options{{ReadOnly: true}, {}}
			if !c.adoptable {
				modes = append(modes, Options{Create: true})
			}
			for _, opts := range modes {
				db, err := Open(path, opts)
				if err == nil {
					db.Close()
					t.Fatalf("Open(%+v) accepted it", opts)
				}
				if !errors.Is(err, ErrNotSweepDB) || !strings.Contains(err.Error(), "not a sweep database") {
					t.Errorf("Open(%+v): err = %v, want ErrNotSweepDB", opts, err)
				}
				after, _ := os.ReadFile(path)
				if !bytes.Equal(before, after) {
					t.Fatalf("Open(%+v) modified the file", opts)
				}
			}
			if c.adoptable {
				db, err := Open(path, Options{Create: true})
				if err != nil {
					t.Fatalf("Create on a file without data: %v", err)
				}
				db.Close()
			}
		})
	}

	t.Run("directory", func(t *testing.T) {
		if _, err := Open(t.TempDir(), Options{Create: true}); !errors.Is(err, ErrNotSweepDB) {
			t.Errorf("err = %v, want ErrNotSweepDB", err)
		}
	})
}

func TestNewerSchemaRefused(t *testing.T) {
	db, path := newDB(t, Options{})
	db.Close()
	raw, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint64(nil, SchemaVersion+1))
	})
	raw.Close()
	before, _ := os.ReadFile(path)

	for _, opts := range []Options{{ReadOnly: true}, {}, {Create: true}} {
		_, err := Open(path, opts)
		if !errors.Is(err, ErrNewerSchema) {
			t.Fatalf("Open(%+v): err = %v, want ErrNewerSchema", opts, err)
		}
		want := fmt.Sprintf("has store schema version %d, newer than the %d this sweep knows; use the release that wrote it, or a newer one", SchemaVersion+1, SchemaVersion)
		if !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "store: ") {
			t.Errorf("message %q lacks %q", err, want)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Fatalf("Open(%+v) modified the file", opts)
		}
	}
}

func TestCorruptFile(t *testing.T) {
	db, path := newDB(t, Options{})
	db.PutSweep(Sweep{Name: "s"})
	db.Close()
	data, _ := os.ReadFile(path)
	pageSize := int(binary.NativeEndian.Uint32(data[24:])) // meta: magic, version, pageSize
	// Damage both meta pages past the magic, so their checksums fail.
	data[40] ^= 0xff
	data[pageSize+40] ^= 0xff
	os.WriteFile(path, data, 0o644)

	for _, opts := range []Options{{ReadOnly: true}, {}} {
		_, err := Open(path, opts)
		if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), "store: ") {
			t.Errorf("Open(%+v): err = %v, want ErrCorrupt", opts, err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(data, after) {
			t.Fatalf("Open(%+v) modified the file", opts)
		}
	}
}
