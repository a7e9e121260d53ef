package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// probeTimeout keeps FindDB quick when a candidate is locked by a writer.
const probeTimeout = 100 * time.Millisecond

// FindDB returns the one sweep database among the *.db files in dir, so
// commands can default --db. A .db file locked by a writer cannot be looked
// into; it counts if it is a bbolt file, since that is almost surely the
// running sweep.
func FindDB(dir string) (string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.db"))
	if err != nil {
		return "", fmt.Errorf("store: find database in %s: %w", dir, err)
	}
	var found []string
	for _, p := range paths {
		if isSweepDB(p) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return "", kindErrorf(ErrNotFound, nil, "no sweep database in %s; pass --db", dir)
	case 1:
		return found[0], nil
	default:
		return "", fmt.Errorf("store: several sweep databases in %s (%s); pass --db", dir, strings.Join(found, ", "))
	}
}

func isSweepDB(path string) bool {
	db, err := open(path, Options{ReadOnly: true}, probeTimeout)
	if err != nil {
		return errors.Is(err, ErrInUse) && hasBoltMagic(path)
	}
	db.Close()
	return true
}
