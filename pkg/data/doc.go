// Package data loads the image classification data sets sweep trains on,
// checks them, splits them and computes their normalisation statistics.
//
// Sources (Spec.Source):
//
//   - "cifar10": CIFAR-10, either the python version (pickled batches
//     data_batch_1..5 and test_batch, as written by Python 2 or re-pickled by
//     Python 3 with protocols 2 to 5) or the binary version (*.bin, records
//     of one label byte and 3072 pixel bytes). The version is taken from the
//     file names given, else from what the directory holds. Each row keeps
//     CIFAR's layout: 1024 red, 1024 green, then 1024 blue bytes.
//   - "idx": MNIST-style IDX image/label pairs, gzipped or not (MNIST,
//     Fashion-MNIST).
//   - "embedded": a 10000/2000 example subset of Fashion-MNIST compiled into
//     the binary, so sweep runs with no data on disk (embedded/README.md).
//
// Splits: training files; validation either from files or, by default, the
// last N training examples (5000; 1000 for the embedded set); test files.
// A validation set is always required.
//
// Pickles are decoded by github.com/nlpodyssey/gopickle behind an
// allow-list: the stream is scanned first and any global other than the
// numpy array and dtype constructors (and codecs.encode, which Python 3 uses
// for bytes under protocol 2) is refused before decoding starts. Nothing in
// a pickle is ever executed; the allowed globals are Go stand-ins that only
// record their arguments.
//
// Memory: pixels stay uint8, one copy. The validation holdout shares the
// training array. Mean and Std are float64 per feature, computed over the
// training split only (after the holdout is removed) so no statistics leak
// from validation or test data.
//
// Identity: every file is hashed (SHA-256) and Dataset.Fingerprint hashes
// source, format, the files' roles, sizes and hashes in order, and the
// holdout, so a stored search can tell whether it still has the same data;
// Dataset.ChangedFiles names the files that differ.
//
// Errors are *Error values, one line "data: PATH: what is wrong", matching
// ErrNotFound, ErrFormat, ErrUnsafePickle, ErrSpec or ErrRead under
// errors.Is.
//
// This package does not depend on pkg/train; converting a Dataset to
// train.Data is a field-by-field copy done by the caller.
package data
