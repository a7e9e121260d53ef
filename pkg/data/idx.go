package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
)

const (
	idxImagesMagic = 0x00000803 // unsigned bytes, 3 dimensions
	idxLabelsMagic = 0x00000801 // unsigned bytes, 1 dimension
	// maxIDXBytes bounds what a header may claim, so a corrupt header cannot
	// make us allocate more than any real MNIST-style file needs.
	maxIDXBytes = 1 << 32
)

var gzipMagic = []byte{0x1f, 0x8b}

// isGzip reports whether b starts like a gzip stream; IDX files start with
// two zero bytes, so the two cannot be confused.
func isGzip(b []byte) bool { return bytes.HasPrefix(b, gzipMagic) }

// idxPayload returns the decompressed content of an IDX file given as raw
// bytes, gzipped or not. An uncompressed payload aliases file.
func idxPayload(file []byte) ([]byte, error) {
	if !isGzip(file) {
		return file, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(file))
	if err != nil {
		return nil, &Error{Kind: ErrFormat, Msg: "gzip: " + oneLine(err.Error()), Err: err}
	}
	zr.Multistream(false)
	// The gzip trailer's ISIZE (length mod 2^32) is a good capacity guess for
	// files of real size; cap it so a forged trailer cannot force a huge
	// allocation before any data arrives.
	hint := 0
	if n := len(file); n >= 18 {
		hint = int(binary.LittleEndian.Uint32(file[n-4:]))
		if limit := 64 * n; hint > limit {
			hint = limit
		}
	}
	buf := bytes.NewBuffer(make([]byte, 0, hint+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(zr, maxIDXBytes+16)); err != nil {
		return nil, &Error{Kind: ErrFormat, Msg: "gzip: " + oneLine(err.Error()), Err: err}
	}
	return buf.Bytes(), nil
}

// parseIDXImages decodes an images file (magic 0x00000803) and returns the
// pixels, the number of images and the pixels per image.
func parseIDXImages(file []byte) (pixels []uint8, n, d int, err error) {
	p, err := idxPayload(file)
	if err != nil {
		return nil, 0, 0, err
	}
	if len(p) < 16 {
		return nil, 0, 0, formatErr(fmt.Sprintf("truncated: %d bytes is shorter than the 16-byte IDX images header", len(p)))
	}
	if m := binary.BigEndian.Uint32(p); m != idxImagesMagic {
		return nil, 0, 0, formatErr(fmt.Sprintf("wrong magic 0x%08x, want 0x%08x (IDX unsigned-byte images)", m, idxImagesMagic))
	}
	count := uint64(binary.BigEndian.Uint32(p[4:]))
	rows := uint64(binary.BigEndian.Uint32(p[8:]))
	cols := uint64(binary.BigEndian.Uint32(p[12:]))
	if count == 0 || rows == 0 || cols == 0 {
		return nil, 0, 0, formatErr(fmt.Sprintf("empty: dimensions %d×%d×%d", count, rows, cols))
	}
	want := count * rows * cols // at most 2^96 in theory: check the factors first
	if rows*cols > maxIDXBytes || want/count != rows*cols || want > maxIDXBytes {
		return nil, 0, 0, formatErr(fmt.Sprintf("dimensions %d×%d×%d exceed %d bytes", count, rows, cols, uint64(maxIDXBytes)))
	}
	if got := uint64(len(p) - 16); got != want {
		return nil, 0, 0, formatErr(fmt.Sprintf("size mismatch: header says %d×%d×%d = %d pixel bytes, file has %d", count, rows, cols, want, got))
	}
	return p[16:], int(count), int(rows * cols), nil
}

// parseIDXLabels decodes a labels file (magic 0x00000801) and checks every
// label is a class index below k.
func parseIDXLabels(file []byte, k int) ([]uint8, error) {
	p, err := idxPayload(file)
	if err != nil {
		return nil, err
	}
	if len(p) < 8 {
		return nil, formatErr(fmt.Sprintf("truncated: %d bytes is shorter than the 8-byte IDX labels header", len(p)))
	}
	if m := binary.BigEndian.Uint32(p); m != idxLabelsMagic {
		return nil, formatErr(fmt.Sprintf("wrong magic 0x%08x, want 0x%08x (IDX unsigned-byte labels)", m, idxLabelsMagic))
	}
	count := uint64(binary.BigEndian.Uint32(p[4:]))
	if count == 0 {
		return nil, formatErr("empty: header says 0 labels")
	}
	if got := uint64(len(p) - 8); got != count {
		return nil, formatErr(fmt.Sprintf("size mismatch: header says %d labels, file has %d", count, got))
	}
	labels := p[8:]
	if err := checkLabels(labels, k); err != nil {
		return nil, err
	}
	return labels, nil
}

func checkLabels(labels []uint8, k int) error {
	for i, l := range labels {
		if int(l) >= k {
			return formatErr(fmt.Sprintf("label %d of example %d is out of range [0,%d)", l, i, k))
		}
	}
	return nil
}
