package data

import (
	"errors"
	"strings"
)

// Sentinel errors. Every error Load returns is an *Error whose Kind is one of
// these, so callers test with errors.Is and reach the file with errors.As.
var (
	// ErrNotFound: a file or directory the spec needs does not exist.
	ErrNotFound = errors.New("data: not found")
	// ErrFormat: a file exists but is not what its name says it is.
	ErrFormat = errors.New("data: bad format")
	// ErrUnsafePickle: a pickle names a Python global outside the allow-list.
	// It is reported before the decoder sees a single opcode.
	ErrUnsafePickle = errors.New("data: unsafe pickle")
	// ErrSpec: the Spec itself is inconsistent (unknown source, bad holdout).
	ErrSpec = errors.New("data: invalid spec")
	// ErrRead: the operating system failed to read a file that exists.
	ErrRead = errors.New("data: read failed")
)

// Error is one problem with one file (or with the spec, when Path is empty).
// Its message is a single line: "data: PATH: what is wrong".
type Error struct {
	Path string // file or directory concerned; "" for spec problems
	Kind error  // one of the sentinels above
	Msg  string
	Err  error // underlying cause, or nil
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "data: " + e.Msg
	}
	return "data: " + e.Path + ": " + e.Msg
}

// Is makes errors.Is(err, ErrFormat) and friends work without the sentinel's
// text appearing in the message.
func (e *Error) Is(target error) bool { return target == e.Kind }

func (e *Error) Unwrap() error { return e.Err }

func formatErr(msg string) *Error { return &Error{Kind: ErrFormat, Msg: msg} }

func specErr(msg string) *Error { return &Error{Kind: ErrSpec, Msg: msg} }

// withPath attaches path to a parser error that does not know it yet.
func withPath(err error, path string) error {
	var e *Error
	if errors.As(err, &e) && e.Path == "" {
		e.Path = path
		return e
	}
	return err
}

// oneLine keeps messages from third-party decoders to a short single line:
// some of them print whole values with %#v.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 160
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}
