package train

import (
	"bytes"
	"encoding/gob"
	"fmt"
)

// checkpointData has Checkpoint's fields without its methods, so gob encodes
// the fields instead of calling MarshalBinary again.
type checkpointData Checkpoint

// MarshalBinary encodes the checkpoint; floats keep every bit, NaN included.
func (c *Checkpoint) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode((*checkpointData)(c)); err != nil {
		return nil, fmt.Errorf("train: encode checkpoint: %w", err)
	}
	return buf.Bytes(), nil
}

// UnmarshalBinary decodes a checkpoint made by MarshalBinary.
func (c *Checkpoint) UnmarshalBinary(b []byte) error {
	*c = Checkpoint{}
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode((*checkpointData)(c)); err != nil {
		return fmt.Errorf("train: %w: %w", ErrCheckpoint, err)
	}
	return nil
}
