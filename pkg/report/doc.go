// Package report turns stored trials into what people read and what their
// next tool reads: tables, JSON, CSV and Markdown rankings, exports, plots
// and an HTML report. Numbers are formatted for the reader in tables (lambda
// in scientific notation, accuracies as percentages) and kept raw in
// machine formats, where a value that is not a number is null.
//
// A trial's stored settings and a stage's stored spec and derived values
// are read with package config's decoders, the same ones search's encoders
// match, and a value that does not decode is an error rather than a blank.
package report
