package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrNotRegular is returned when Replace would replace a symbolic link or
// anything else that is not a regular file.
var ErrNotRegular = errors.New("atomicfile: not a regular file")

// Options say how Write treats an existing file and the disk.
type Options struct {
	// Replace replaces an existing regular file at the path; without it an
	// existing path fails with an error matching fs.ErrExist, checked as
	// the file is put in place so that a file appearing meanwhile is kept.
	Replace bool
	// Durable syncs the file and its directory, so that once Write returns
	// the new content survives a crash; without it a crash may lose it.
	Durable bool
	// Perm is the file's mode (0644 when zero).
	Perm fs.FileMode
}

// Write writes path through fn, buffered, as the package doc describes.
func Write(path string, opts Options, fn func(w io.Writer) error) (err error) {
	if opts.Perm == 0 {
		opts.Perm = 0o644
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<16)
	if err := fn(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	// CreateTemp makes the file private; the caller says what it should be.
	if err := tmp.Chmod(opts.Perm); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if opts.Durable {
		if err := tmp.Sync(); err != nil {
			return fmt.Errorf("atomicfile: %w", err)
		}
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := publish(tmp.Name(), path, opts.Replace); err != nil {
		return err
	}
	// The new name is durable only once the directory is synced; a platform
	// that cannot sync directories still has the complete file.
	if opts.Durable {
		if d, err := os.Open(filepath.Dir(path)); err == nil {
			d.Sync()
			d.Close()
		}
	}
	return nil
}

// publish moves the finished temporary file to path. To create, it links
// rather than renames, which fails if path exists; to replace, it checks
// path again, since a link may have been put there.
func publish(tmp, path string, replace bool) error {
	if !replace {
		err := os.Link(tmp, path)
		if err == nil {
			if err := os.Remove(tmp); err != nil {
				return fmt.Errorf("atomicfile: %s is written but its temporary file stays: %w", path, err)
			}
			return nil
		}
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("atomicfile: %s: %w", path, fs.ErrExist)
		}
		// A file system without hard links: fall back to a checked rename.
		if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("atomicfile: %s: %w", path, fs.ErrExist)
		}
	} else if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s", ErrNotRegular, path)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	return nil
}
