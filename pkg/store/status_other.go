//go:build !unix

package store

// processAlive cannot probe a PID portably here; IsLive then relies on the
// snapshot's age alone.
func processAlive(pid int) bool { return pid > 0 }
