//go:build unix

package store

import (
	"errors"
	"syscall"
)

// processAlive sends signal 0, which checks existence without signalling.
// EPERM means the process exists but belongs to someone else.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
