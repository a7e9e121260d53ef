// Command crashtest proves that a sweep survives being killed at any moment.
//
// It runs a small real sweep (three stages on the embedded data set, two
// workers, a checkpoint every two updates) in a child process, kills the
// child with SIGKILL (or SIGINT with -signal INT) after a random delay,
// restarts it, and repeats until the sweep completes; then it starts a new
// sweep until -kills kills have landed. Every completed sweep is compared
// with an uninterrupted run of the same config: the same trials and stages,
// each trial trained to completion exactly once, histories, final metrics
// and weights bit-identical, nothing left running, and every trial a kill
// interrupted resumed from its last checkpoint. Delays come from a PCG
// seeded with -seed, so a run can be replayed (up to the scheduler).
//
// Usage:
//
//	go run ./internal/crashtest [-kills N] [-signal KILL|INT] [-seed S] [-v]
//
// It prints one line, "kills: N, lost: L, duplicated: D, mismatched: M",
// and exits 1 if any count but kills is non-zero or any other check fails
// (described on stderr).
package main
