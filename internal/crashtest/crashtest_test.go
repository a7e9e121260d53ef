package main

import (
	"os"
	"syscall"
	"testing"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(child(path))
	}
	os.Exit(m.Run())
}

// The short version of the command: a few kills of each kind, each sweep
// compared bit for bit with an uninterrupted one. `go run
// ./internal/crashtest` is the long version.
func TestCrashShort(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns sweep processes")
	}
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			res, err := run(options{kills: 5, signal: sig, seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s; %s", res.line(), res.describe())
			for _, n := range res.notes {
				t.Error(n)
			}
			if res.kills < 5 || res.counts != (counts{}) {
				t.Fatalf("%s, want 5 kills and nothing else", res.line())
			}
		})
	}
}
