package data

import (
	"fmt"
)

const (
	cifarD     = 3072 // 32×32 pixels × 3 channels: 1024 red, then green, then blue
	numClasses = 10
)

// parseCIFARBinary decodes a CIFAR-10 binary batch: records of one label
// byte followed by 3072 pixel bytes. Any whole, non-zero number of records
// is accepted (the distribution has 10000 per file).
func parseCIFARBinary(file []byte) (Split, error) { return parseRecords(file, cifarD) }

// parseRecords is parseCIFARBinary for records of one label and d pixels;
// fuzzing uses a small d so that inputs stay small.
func parseRecords(file []byte, d int) (Split, error) {
	record := 1 + d
	if len(file) == 0 {
		return Split{}, formatErr("empty file")
	}
	if len(file)%record != 0 {
		return Split{}, formatErr(fmt.Sprintf("truncated: %d bytes is not a whole number of %d-byte records", len(file), record))
	}
	n := len(file) / record
	s := Split{Pixels: make([]uint8, n*d), Labels: make([]uint8, n), N: n}
	for i := range n {
		rec := file[i*record : (i+1)*record]
		if rec[0] >= numClasses {
			return Split{}, formatErr(fmt.Sprintf("label %d of record %d is out of range [0,%d)", rec[0], i, numClasses))
		}
		s.Labels[i] = rec[0]
		copy(s.Pixels[i*d:], rec[1:])
	}
	return s, nil
}
