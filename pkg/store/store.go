package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/sweep-ml/sweep/internal/storefault"
)

// SchemaVersion is the layout written by this package (see the package doc).
// Opening a file written with a newer version is refused (ErrNewerSchema).
const SchemaVersion = 1

// lockTimeout bounds how long Open waits for another process's lock, so a
// second sweep on the same file fails fast instead of hanging.
const lockTimeout = time.Second

var magic = []byte("sweep-ml/sweep")

var (
	bucketMeta        = []byte("meta")
	bucketStages      = []byte("stages")
	bucketTrials      = []byte("trials")
	bucketHistory     = []byte("history")
	bucketCheckpoints = []byte("checkpoints")
	bucketWeights     = []byte("weights")

	keyMagic  = []byte("magic")
	keySchema = []byte("schema")
	keySweep  = []byte("sweep")
)

// topBuckets are created with the database; their absence means corruption.
var topBuckets = [][]byte{bucketMeta, bucketStages, bucketTrials, bucketHistory, bucketCheckpoints, bucketWeights}

// Sentinel errors, matched with errors.Is. Returned errors carry more context.
var (
	ErrInUse       = errors.New("store: database is in use by another sweep process")
	ErrNotSweepDB  = errors.New("store: not a sweep database")
	ErrNewerSchema = errors.New("store: database created by a newer sweep")
	ErrCorrupt     = errors.New("store: database is corrupt")
	ErrNotFound    = errors.New("store: not found")
	ErrTrialDone   = errors.New("store: trial is already finished")
)

// kindError has its own message but matches a sentinel (and an optional
// cause) with errors.Is, avoiding messages like "store: x: store: ...".
type kindError struct {
	msg  string
	errs []error
}

func (e *kindError) Error() string   { return e.msg }
func (e *kindError) Unwrap() []error { return e.errs }

func kindErrorf(kind, cause error, format string, args ...any) error {
	errs := []error{kind}
	if cause != nil {
		errs = append(errs, cause)
	}
	return &kindError{msg: "store: " + fmt.Sprintf(format, args...), errs: errs}
}

// errNoBuckets marks a bbolt file holding nothing at all: it is not a sweep
// database, but Create may safely adopt it (e.g. left by a crash right after
// bbolt created the file).
var errNoBuckets = errors.New("no buckets")

// Options control Open.
type Options struct {
	// ReadOnly opens with a shared lock and refuses writes (report, export...).
	ReadOnly bool
	// Create makes a new database if path does not exist. Only `sweep run`
	// sets it; every other command must find an existing sweep.
	Create bool
}

// DB is an open sweep database. Its methods are safe for concurrent use.
type DB struct {
	bolt *bolt.DB
	path string
	// failWrites is the hook this module's tests install through
	// internal/storefault; nil otherwise.
	failWrites storefault.Hook
}

// Open opens the sweep database at path. An existing file is always first
// opened read-only and checked, so a file that is not a sweep database (or
// was written by a newer sweep) is never modified.
func Open(path string, opts Options) (*DB, error) {
	return open(path, opts, lockTimeout)
}

func open(path string, opts Options, timeout time.Duration) (*DB, error) {
	if opts.ReadOnly && opts.Create {
		return nil, errors.New("store: Create and ReadOnly are mutually exclusive")
	}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && opts.Create:
	case err != nil:
		return nil, fmt.Errorf("store: %w", err)
	case !info.Mode().IsRegular():
		return nil, kindErrorf(ErrNotSweepDB, nil, "%s is not a sweep database (not a regular file)", path)
	case info.Size() == 0 && !opts.Create:
		return nil, kindErrorf(ErrNotSweepDB, nil, "%s is not a sweep database (empty file)", path)
	case info.Size() > 0:
		ro, err := openBolt(path, true, timeout)
		if err != nil {
			return nil, err
		}
		err = checkView(ro, path)
		if opts.ReadOnly && err == nil {
			return &DB{bolt: ro, path: path}, nil
		}
		ro.Close()
		if err != nil && !(opts.Create && errors.Is(err, errNoBuckets)) {
			return nil, err
		}
	}

	rw, err := openBolt(path, false, timeout)
	if err != nil {
		return nil, err
	}
	db := &DB{bolt: rw, path: path, failWrites: storefault.For(path)}
	// Check again under the exclusive lock: the file may have changed
	// between the read-only look and now. The check reads only, so opening
	// an existing database leaves its bytes as they were; only a new one
	// gets its schema written.
	err = checkView(rw, path)
	if opts.Create && errors.Is(err, errNoBuckets) {
		err = db.update("open", initSchema)
	}
	if err != nil {
		rw.Close()
		return nil, err
	}
	return db, nil
}

func openBolt(path string, readOnly bool, timeout time.Duration) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: timeout, ReadOnly: readOnly})
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, &kindError{msg: ErrInUse.Error(), errs: []error{ErrInUse, err}}
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("store: %w", err)
	case !hasBoltMagic(path):
		return nil, kindErrorf(ErrNotSweepDB, err, "%s is not a sweep database (not a bbolt file)", path)
	default:
		return nil, kindErrorf(ErrCorrupt, err, "%s is corrupt: %v", path, err)
	}
}

// hasBoltMagic reports whether path starts with a bbolt meta page, to tell a
// damaged database from some unrelated file.
func hasBoltMagic(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	// A page header (id u64, flags u16, count u16, overflow u32) precedes
	// the meta's magic; bbolt writes it in native byte order.
	var buf [20]byte
	if _, err := io.ReadFull(f, buf[:]); err != nil {
		return false
	}
	return binary.NativeEndian.Uint32(buf[16:]) == 0xED0CDAED
}

// checkView runs check in a read transaction. bbolt panics on some damaged
// pages; that is reported as ErrCorrupt rather than crashing the CLI.
func checkView(db *bolt.DB, path string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = kindErrorf(ErrCorrupt, nil, "%s is corrupt: %v", path, r)
		}
	}()
	return db.View(func(tx *bolt.Tx) error { return check(tx, path) })
}

func check(tx *bolt.Tx, path string) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		if k, _ := tx.Cursor().First(); k == nil {
			return kindErrorf(ErrNotSweepDB, errNoBuckets, "%s is not a sweep database (empty bbolt file)", path)
		}
		return kindErrorf(ErrNotSweepDB, nil, "%s is not a sweep database (bbolt file of another program)", path)
	}
	if !bytes.Equal(meta.Get(keyMagic), magic) {
		return kindErrorf(ErrNotSweepDB, nil, "%s is not a sweep database (bad magic)", path)
	}
	v := meta.Get(keySchema)
	if len(v) != 8 || binary.BigEndian.Uint64(v) == 0 {
		return kindErrorf(ErrCorrupt, nil, "%s is corrupt: bad schema version", path)
	}
	if n := binary.BigEndian.Uint64(v); n > SchemaVersion {
		return kindErrorf(ErrNewerSchema, nil, "%s has store schema version %d, newer than the %d this sweep knows; use the release that wrote it, or a newer one", path, n, SchemaVersion)
	}
	for _, name := range topBuckets {
		if tx.Bucket(name) == nil {
			return kindErrorf(ErrCorrupt, nil, "%s is corrupt: bucket %q missing", path, name)
		}
	}
	return nil
}

func initSchema(tx *bolt.Tx) error {
	for _, name := range topBuckets {
		if _, err := tx.CreateBucket(name); err != nil {
			return fmt.Errorf("store: create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	if err := meta.Put(keyMagic, magic); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := meta.Put(keySchema, u64key(SchemaVersion)); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// Path returns the path the database was opened with.
func (db *DB) Path() string { return db.path }

// Close releases the database and its lock.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", db.path, err)
	}
	return nil
}

// update runs fn in one write transaction named op, giving a test's
// storefault hook the last word before commit.
func (db *DB) update(op string, fn func(tx *bolt.Tx) error) error {
	var fnErr error
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		if fnErr = fn(tx); fnErr != nil {
			return fnErr
		}
		if db.failWrites != nil {
			if err := db.failWrites(op); err != nil {
				fnErr = fmt.Errorf("store: %s: %w", op, err)
			}
		}
		return fnErr
	})
	switch {
	case err == nil, err == fnErr:
		return err
	case errors.Is(err, berrors.ErrDatabaseReadOnly):
		return fmt.Errorf("store: %s: %s is open read-only: %w", op, db.path, err)
	default: // bbolt failed to begin or commit, e.g. disk full
		return fmt.Errorf("store: %s: %s: %w", op, db.path, err)
	}
}

func u64key(n uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, n)
}
