// Package store keeps one sweep in one bbolt file: its configuration, its
// stages, every trial's metadata, history, running checkpoint and final
// weights. A killed sweep resumes from this file alone.
//
// The package defines its own plain types (Sweep, Stage, Trial, Record,
// Weights); the search layer converts to and from them, so store depends on
// no other sweep package (internal/storefault only lets this module's tests
// fail its writes).
//
// # Schema (version 1)
//
//	meta/
//	    magic        "sweep-ml/sweep"           identifies a sweep database
//	    schema       BE uint64                  SchemaVersion
//	    sweep        JSON Sweep                 config (raw YAML + resolved JSON), data hashes,
//	                                            numerics version of the trials
//	stages/
//	    <BE uint64 index>/                      one bucket per stage, in run order
//	        info     JSON {name, index, spec, derived}
//	        trials/
//	            <BE uint64 position>  flags byte (1 = reused) + trial id
//	trials/
//	    <trial id>   JSON Trial                 metadata + final metrics, small; status is
//	                                            pending, running, done, pruned, promoted,
//	                                            diverged or failed; cycles_trained (optional)
//	history/
//	    <trial id>/
//	        <BE uint64 step>  8 x LE float64 bits (epoch, eta, train cost/loss/acc, val cost/loss/acc)
//	checkpoints/
//	    <trial id>   opaque blob                latest checkpoint, only while unfinished
//	weights/
//	    <trial id>   LE uint64 m, d, k, n; then LE float64 W1, b1, W2, b2, mean, std
//
// Trial metadata lives apart from histories and weights so that listing and
// ranking thousands of trials touches only the small trials/ pages. Keys are
// big-endian where their order is meaningful, so bbolt's byte order is the
// numeric order. Floats are stored as raw bits, so NaN and ±Inf round-trip
// exactly.
//
// # Versions
//
// SchemaVersion changes only with the layout above; a file of a newer schema
// is refused by every command and never modified. Optional JSON fields that
// older readers ignore do not change it: Sweep.Numerics, the version of the
// numerics that computed the file's trials, was added that way, so files of
// earlier releases, which lack it, still open unchanged, and earlier
// releases still read files of this one. Trial.CyclesTrained and the statuses
// pruned and promoted (halving stages) were added the same way: a file of
// an earlier release has neither and reads unchanged; an earlier release
// reads a newer file's pruned and promoted trials without error, as
// trials of a status it does not count. Such a file's numerics are still
// known from its trial ids, which hash them (see package search); a writer
// that continues it records them. Trial.Segments (which worker, host and
// kernel trained each stretch of a trial; distributed runs) was added the
// same way: older trials have none, and older releases ignore it.
//
// # Invariants
//
// A trial is done or diverged only through FinishTrial, which in one
// transaction replaces its history, stores its weights, drops its checkpoint
// and writes its final metadata; afterwards no write changes it, except
// MarkRung, which turns a done trial's status into pruned or promoted (a
// halving stage's decision) and touches nothing else.
//
// # Locking
//
// bbolt holds an exclusive flock on the file for a writer and a shared one
// for readers, so while a sweep runs nobody else can open its database: Open
// returns ErrInUse after about a second rather than hanging. For that reason
// a running sweep also publishes a JSON StatusSnapshot beside the database
// (see WriteStatus), which `sweep status` reads without any lock.
package store
