package storefault

import "sync"

// Hook is called at the end of every write transaction on a database,
// after its changes are staged and before commit, with the operation's
// name: "open" (creation of a new file), "put_sweep",
// "put_stage", "save_checkpoint", "finish_trial" or "mark_interrupted". A
// non-nil result aborts the transaction as a failed write would.
type Hook func(op string) error

var hooks sync.Map // database path → *Hook

// Set installs fn for the databases opened at path from now on, until the
// returned function removes it. Paths are compared as given.
func Set(path string, fn Hook) (unset func()) {
	p := &fn
	hooks.Store(path, p)
	return func() { hooks.CompareAndDelete(path, p) }
}

// For returns the hook installed for path, or nil.
func For(path string) Hook {
	if p, ok := hooks.Load(path); ok {
		return *p.(*Hook)
	}
	return nil
}
