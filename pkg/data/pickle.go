package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// The only Python globals a CIFAR-10 batch may name. Python 2 cPickle and
// Python 3 protocols 2-4 use _reconstruct + BUILD; protocol 5 uses
// _frombuffer; numpy 2 renamed numpy.core to numpy._core; Python 3 writes
// bytes as _codecs.encode(str, "latin1") under protocol 2.
var allowedGlobals = map[string]any{
	"numpy.core.multiarray._reconstruct":  npReconstruct{},
	"numpy._core.multiarray._reconstruct": npReconstruct{},
	"numpy.core.numeric._frombuffer":      npFromBuffer{},
	"numpy._core.numeric._frombuffer":     npFromBuffer{},
	"numpy.ndarray":                       ndarrayClass{},
	"numpy.dtype":                         dtypeClass{},
	"_codecs.encode":                      latin1Encode{},
	"codecs.encode":                       latin1Encode{},
}

// maxPickleMarks bounds MARK opcodes: each costs the decoder a fresh stack,
// and a real batch has a few dozen.
const maxPickleMarks = 1 << 16

// parseCIFARPickle decodes one batch of the CIFAR-10 "python version": a
// pickled dict with "data" (uint8 N×3072 numpy array) and "labels".
func parseCIFARPickle(file []byte) (Split, error) { return parsePickleBatch(file, cifarD) }

// parsePickleBatch is parseCIFARPickle for rows of d bytes; fuzzing uses a
// small d so that inputs stay small.
func parsePickleBatch(file []byte, d int) (Split, error) {
	if len(file) == 0 {
		return Split{}, formatErr("empty file")
	}
	if err := scanPickle(file); err != nil {
		return Split{}, err
	}
	v, err := unpickle(file)
	if err != nil {
		return Split{}, err
	}
	return cifarBatch(v, d)
}

// unpickle runs the decoder with every global resolved through the
// allow-list. scanPickle has already vetted the stream; the FindClass hook
// repeats the check so the decoder can never build anything else.
func unpickle(file []byte) (v any, err error) {
	// gopickle panics on a few malformed streams that scanPickle lets through
	// (an odd number of SETITEMS items, unhashable set members): report
	// those as bad files rather than crash.
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, formatErr(oneLine(fmt.Sprint("malformed pickle: ", r)))
		}
	}()
	u := pickle.NewUnpickler(bytes.NewReader(file))
	u.FindClass = func(module, name string) (any, error) {
		if g, ok := allowedGlobals[module+"."+name]; ok {
			return g, nil
		}
		return nil, unsafeGlobal(module, name)
	}
	v, err = u.Load()
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, &Error{Kind: ErrFormat, Msg: "malformed pickle: " + oneLine(err.Error()), Err: err}
	}
	return v, nil
}

func unsafeGlobal(module, name string) *Error {
	return &Error{Kind: ErrUnsafePickle, Msg: fmt.Sprintf("pickle refers to %s.%s, which is not an allowed numpy global; refusing to load it", oneLine(strconv.Quote(module)), oneLine(strconv.Quote(name)))}
}

// argument encodings of pickle opcodes, as in CPython's pickletools.
type argKind uint8

const (
	argNone  argKind = iota + 1
	argLine          // text up to '\n'
	argLine2         // two lines: GLOBAL and INST module and name
	argFixed         // n bytes
	argLen           // n-byte little-endian length, then that many bytes
)

type opInfo struct {
	kind argKind
	n    int
}

var opTable = func() (t [256]opInfo) {
	for _, c := range []byte("(.012NQRabd}elo]st)u\x85\x86\x87\x88\x89\x8f\x90\x91\x92\x93\x94\x97\x98") {
		t[c] = opInfo{argNone, 0}
	}
	for _, c := range []byte("FILSVgpP") {
		t[c] = opInfo{argLine, 0}
	}
	t['c'], t['i'] = opInfo{argLine2, 0}, opInfo{argLine2, 0}
	for c, n := range map[byte]int{'K': 1, 'h': 1, 'q': 1, 0x80: 1, 0x82: 1, 'M': 2, 0x83: 2, 'J': 4, 'j': 4, 'r': 4, 0x84: 4, 'G': 8, 0x95: 8} {
		t[c] = opInfo{argFixed, n}
	}
	for c, n := range map[byte]int{'U': 1, 'C': 1, 0x8c: 1, 0x8a: 1, 'T': 4, 'B': 4, 'X': 4, 0x8b: 4, 0x8d: 8, 0x8e: 8, 0x96: 8} {
		t[c] = opInfo{argLen, n}
	}
	return t
}()

// scanVal is what the scanner knows about a stack item: a string value or
// nothing.
type scanVal struct {
	s     string
	known bool
}

// scanPickle walks the opcode stream without building anything. It rejects
// any global outside the allow-list before the decoder runs, and any
// counted argument longer than the file, so a corrupt length can never
// drive a huge allocation. STACK_GLOBAL takes its names from the stack; the
// scanner follows string pushes and the memo closely enough to know them in
// every stream Python writes, and rejects the stream when it cannot.
func scanPickle(b []byte) error {
	var (
		recent []scanVal // items pushed since the last op with unknown stack effect
		memo   = map[int]scanVal{}
		marks  int
	)
	top := func() scanVal {
		if len(recent) == 0 {
			return scanVal{}
		}
		return recent[len(recent)-1]
	}
	checkGlobal := func(module, name string) error {
		if _, ok := allowedGlobals[module+"."+name]; !ok {
			return unsafeGlobal(module, name)
		}
		return nil
	}
	bad := func(pos int, op byte, what string) error {
		return formatErr(fmt.Sprintf("malformed pickle: opcode 0x%02x at offset %d: %s", op, pos, what))
	}
	for pos := 0; pos < len(b); {
		op := b[pos]
		info := opTable[op]
		p := pos + 1
		var arg []byte
		switch info.kind {
		case 0:
			return bad(pos, op, "unknown opcode")
		case argNone:
		case argLine:
			i := bytes.IndexByte(b[p:], '\n')
			if i < 0 {
				return bad(pos, op, "truncated text argument")
			}
			arg, p = b[p:p+i], p+i+1
		case argLine2:
			i := bytes.IndexByte(b[p:], '\n')
			if i < 0 {
				return bad(pos, op, "truncated module name")
			}
			module := string(b[p : p+i])
			p += i + 1
			j := bytes.IndexByte(b[p:], '\n')
			if j < 0 {
				return bad(pos, op, "truncated global name")
			}
			name := string(b[p : p+j])
			p += j + 1
			if err := checkGlobal(module, name); err != nil {
				return err
			}
		case argFixed:
			if len(b)-p < info.n {
				return bad(pos, op, "truncated argument")
			}
			arg, p = b[p:p+info.n], p+info.n
		case argLen:
			if len(b)-p < info.n {
				return bad(pos, op, "truncated length")
			}
			var n uint64
			switch info.n {
			case 1:
				n = uint64(b[p])
			case 4:
				n = uint64(binary.LittleEndian.Uint32(b[p:]))
				if (op == 'T' || op == 0x8b) && n >= 1<<31 {
					return bad(pos, op, "negative length")
				}
			case 8:
				n = binary.LittleEndian.Uint64(b[p:])
			}
			p += info.n
			if n > uint64(len(b)-p) {
				return bad(pos, op, fmt.Sprintf("length %d runs past the end of the file", n))
			}
			// LONG1/LONG4: the decoder indexes the last byte of the number
			// and grows big integers quadratically; no batch holds one wider
			// than 64 bits.
			if (op == 0x8a || op == 0x8b) && (n == 0 || n > 8) {
				return bad(pos, op, fmt.Sprintf("%d-byte integer not supported", n))
			}
			arg, p = b[p:p+int(n)], p+int(n)
		}

		switch op {
		case 'S': // quoted string, pushed without its quotes
			if len(arg) >= 2 && arg[0] == arg[len(arg)-1] && (arg[0] == '\'' || arg[0] == '"') {
				recent = append(recent, scanVal{string(arg[1 : len(arg)-1]), true})
			} else {
				recent = append(recent, scanVal{})
			}
		case 'V', 'T', 'U', 'X', 0x8c, 0x8d:
			recent = append(recent, scanVal{string(arg), true})
		case 'p', 'q', 'r':
			i, err := memoIndex(op, arg)
			if err != nil {
				return bad(pos, op, err.Error())
			}
			memo[i] = top()
		case 0x94: // MEMOIZE
			memo[len(memo)] = top()
		case 'g', 'h', 'j':
			i, err := memoIndex(op, arg)
			if err != nil {
				return bad(pos, op, err.Error())
			}
			recent = append(recent, memo[i])
		case 0x80, 0x95: // PROTO, FRAME: no effect on the stack
			if op == 0x80 && arg[0] > pickle.HighestProtocol {
				return bad(pos, op, fmt.Sprintf("unsupported protocol %d", arg[0]))
			}
			if op == 0x95 && binary.LittleEndian.Uint64(arg) > uint64(len(b)-p) {
				return bad(pos, op, "frame runs past the end of the file")
			}
		case 0x93: // STACK_GLOBAL
			if len(recent) < 2 || !recent[len(recent)-1].known || !recent[len(recent)-2].known {
				return &Error{Kind: ErrUnsafePickle, Msg: fmt.Sprintf("pickle STACK_GLOBAL at offset %d takes names the scanner cannot verify; refusing to load it", pos)}
			}
			if err := checkGlobal(recent[len(recent)-2].s, recent[len(recent)-1].s); err != nil {
				return err
			}
			recent = append(recent[:len(recent)-2], scanVal{})
		case '(':
			if marks++; marks > maxPickleMarks {
				return bad(pos, op, fmt.Sprintf("more than %d MARKs", maxPickleMarks))
			}
			recent = nil
		case '.':
			if p != len(b) {
				return formatErr(fmt.Sprintf("malformed pickle: %d bytes of trailing data after STOP", len(b)-p))
			}
			return nil
		default:
			recent = nil
		}
		pos = p
	}
	return formatErr("truncated: pickle ends without STOP")
}

func memoIndex(op byte, arg []byte) (int, error) {
	switch op {
	case 'p', 'g':
		i, err := strconv.Atoi(string(arg))
		if err != nil || i < 0 {
			return 0, fmt.Errorf("bad memo index %q", oneLine(string(arg)))
		}
		return i, nil
	case 'q', 'h':
		return int(arg[0]), nil
	default:
		return int(binary.LittleEndian.Uint32(arg)), nil
	}
}

// The objects below stand in for the allow-listed numpy callables. They
// record their arguments and never execute anything.

type ndarrayClass struct{}

type dtypeClass struct{}

type npReconstruct struct{}

type npFromBuffer struct{}

type latin1Encode struct{}

// dtype is a numpy.dtype as far as a batch needs it: its type code and,
// once BUILD has run, its byte-order character.
type dtype struct {
	code, order string
}

// ndarray is a numpy array under construction.
type ndarray struct {
	shape   []int
	dt      *dtype
	fortran bool
	data    []byte
	built   bool
}

// Call implements numpy.dtype(code, align, copy).
func (dtypeClass) Call(args ...any) (any, error) {
	if len(args) < 1 {
		return nil, errors.New("numpy.dtype called without a type code")
	}
	code, ok := asBytes(args[0])
	if !ok {
		return nil, fmt.Errorf("numpy.dtype code is a %s, not a str", pyType(args[0]))
	}
	return &dtype{code: string(code)}, nil
}

// PySetState takes numpy's dtype state (version, byteorder, ...).
func (d *dtype) PySetState(state any) error {
	t, ok := state.(*types.Tuple)
	if !ok || t.Len() < 2 {
		return fmt.Errorf("numpy.dtype state is a %s, not a tuple of at least 2 items", pyType(state))
	}
	order, ok := asBytes(t.Get(1))
	if !ok {
		return fmt.Errorf("numpy.dtype byte order is a %s, not a str", pyType(t.Get(1)))
	}
	d.order = string(order)
	return nil
}

// Call implements numpy.core.multiarray._reconstruct(ndarray, shape, typecode):
// an empty array that BUILD fills in.
func (npReconstruct) Call(args ...any) (any, error) {
	if len(args) != 3 {
		return nil, fmt.Errorf("_reconstruct takes 3 arguments, got %d", len(args))
	}
	if _, ok := args[0].(ndarrayClass); !ok {
		return nil, fmt.Errorf("_reconstruct of a %s, not numpy.ndarray", pyType(args[0]))
	}
	return &ndarray{}, nil
}

// PySetState takes ndarray.__setstate__'s (version, shape, dtype,
// is_fortran, rawdata); the version is optional as in numpy.
func (a *ndarray) PySetState(state any) error {
	t, ok := state.(*types.Tuple)
	if !ok || (t.Len() != 4 && t.Len() != 5) {
		return fmt.Errorf("numpy array state is a %s, not a tuple of 4 or 5 items", pyType(state))
	}
	s := []any(*t)
	if len(s) == 5 {
		s = s[1:]
	}
	return a.set(s[0], s[1], s[2], s[3])
}

// Call implements numpy.core.numeric._frombuffer(buf, dtype, shape, order),
// which protocol 5 uses instead of _reconstruct.
func (npFromBuffer) Call(args ...any) (any, error) {
	if len(args) != 4 {
		return nil, fmt.Errorf("_frombuffer takes 4 arguments, got %d", len(args))
	}
	order, ok := asBytes(args[3])
	if !ok || (string(order) != "C" && string(order) != "F") {
		return nil, fmt.Errorf("_frombuffer order must be 'C' or 'F'")
	}
	a := &ndarray{}
	if err := a.set(args[2], args[1], string(order) == "F", args[0]); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *ndarray) set(shape, dt, fortran, raw any) error {
	st, ok := shape.(*types.Tuple)
	if !ok {
		return fmt.Errorf("numpy array shape is a %s, not a tuple", pyType(shape))
	}
	a.shape = a.shape[:0]
	for _, x := range *st {
		n, ok := x.(int)
		if !ok || n < 0 {
			return errors.New("numpy array shape holds something other than non-negative ints")
		}
		a.shape = append(a.shape, n)
	}
	if a.dt, ok = dt.(*dtype); !ok {
		return fmt.Errorf("numpy array dtype is a %s, not a numpy.dtype", pyType(dt))
	}
	switch f := fortran.(type) {
	case bool:
		a.fortran = f
	case int:
		a.fortran = f != 0
	default:
		return fmt.Errorf("numpy array fortran flag is a %s, not a bool", pyType(fortran))
	}
	if a.data, ok = asBytes(raw); !ok {
		return fmt.Errorf("numpy array data is a %s, not bytes", pyType(raw))
	}
	a.built = true
	return nil
}

// Call implements _codecs.encode(text, "latin1"): Python 3 writes bytes that
// way under protocol 2, one code point per byte.
func (latin1Encode) Call(args ...any) (any, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("codecs.encode takes 2 arguments here, got %d", len(args))
	}
	s, ok1 := args[0].(string)
	enc, ok2 := args[1].(string)
	if !ok1 || !ok2 || (enc != "latin1" && enc != "latin-1") {
		return nil, errors.New("codecs.encode is only allowed as encode(str, 'latin1')")
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r > 0xff || (r == utf8.RuneError && size == 1) {
			return nil, errors.New("codecs.encode: text is not latin-1")
		}
		out = append(out, byte(r))
		i += size
	}
	return out, nil
}

// asBytes accepts the ways a byte string reaches us: a Python 2 str
// (decoded as a Go string), bytes, or bytearray.
func asBytes(v any) ([]byte, bool) {
	switch x := v.(type) {
	case string:
		return []byte(x), true
	case []byte:
		return x, true
	case *types.ByteArray:
		return []byte(*x), true
	}
	return nil, false
}

// pyType names a decoded value's Python type for error messages; values are
// never printed, as they can be huge or cyclic.
func pyType(v any) string {
	switch v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case *types.ByteArray:
		return "bytearray"
	case *types.List:
		return "list"
	case *types.Tuple:
		return "tuple"
	case *types.Dict:
		return "dict"
	case *types.Set:
		return "set"
	case *types.FrozenSet:
		return "frozenset"
	case *ndarray:
		return "numpy.ndarray"
	case *dtype:
		return "numpy.dtype"
	}
	return fmt.Sprintf("%T", v)
}

// dictGet finds key in a dict whose keys may be str or bytes (Python 2 str
// read by Python 3 with encoding="bytes"). The last duplicate wins, as in
// Python.
func dictGet(d *types.Dict, key string) (any, bool) {
	var v any
	found := false
	for _, e := range *d {
		if k, ok := asBytes(e.Key); ok && string(k) == key {
			v, found = e.Value, true
		}
	}
	return v, found
}

// cifarBatch checks a decoded pickle is a CIFAR-10 batch of d-byte rows
// and extracts it.
func cifarBatch(v any, d int) (Split, error) {
	dict, ok := v.(*types.Dict)
	if !ok {
		return Split{}, formatErr(fmt.Sprintf("not a CIFAR-10 batch: pickle holds a %s, not a dict", pyType(v)))
	}
	dv, ok := dictGet(dict, "data")
	if !ok {
		return Split{}, formatErr(`not a CIFAR-10 batch: dict has no "data" key`)
	}
	lv, ok := dictGet(dict, "labels")
	if !ok {
		return Split{}, formatErr(`not a CIFAR-10 batch: dict has no "labels" key`)
	}
	a, ok := dv.(*ndarray)
	if !ok || !a.built {
		return Split{}, formatErr(fmt.Sprintf(`"data" is a %s, not a numpy array`, pyType(dv)))
	}
	if a.dt.code != "u1" || (a.dt.order != "|" && a.dt.order != "=" && a.dt.order != "<" && a.dt.order != ">") {
		return Split{}, formatErr(fmt.Sprintf(`"data" has dtype %s%s, want uint8 (|u1)`, oneLine(a.dt.order), oneLine(a.dt.code)))
	}
	if len(a.shape) != 2 || a.shape[1] != d || a.shape[0] == 0 {
		return Split{}, formatErr(fmt.Sprintf(`"data" has shape %v, want (N, %d) with N > 0`, a.shape, d))
	}
	if a.fortran {
		return Split{}, formatErr(`"data" is in Fortran order, want C order`)
	}
	n := a.shape[0]
	if uint64(len(a.data)) != uint64(n)*uint64(d) {
		return Split{}, formatErr(fmt.Sprintf(`"data" holds %d bytes, shape (%d, %d) needs %d`, len(a.data), n, d, uint64(n)*uint64(d)))
	}
	var items []any
	switch l := lv.(type) {
	case *types.List:
		items = *l
	case *types.Tuple:
		items = *l
	default:
		return Split{}, formatErr(fmt.Sprintf(`"labels" is a %s, not a list`, pyType(lv)))
	}
	if len(items) != n {
		return Split{}, formatErr(fmt.Sprintf(`%d labels for %d images`, len(items), n))
	}
	labels := make([]uint8, n)
	for i, x := range items {
		l, ok := x.(int)
		if !ok || l < 0 || l >= numClasses {
			return Split{}, formatErr(fmt.Sprintf("label %d is %s, want an int in [0,%d)", i, labelText(x), numClasses))
		}
		labels[i] = uint8(l)
	}
	return Split{Pixels: a.data, Labels: labels, N: n}, nil
}

func labelText(x any) string {
	if l, ok := x.(int); ok {
		return strconv.Itoa(l)
	}
	return "a " + pyType(x)
}
