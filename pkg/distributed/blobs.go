package distributed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sweep-ml/sweep/pkg/train"
)

// putCheckpoint stores ck as the trial's latest checkpoint unless the
// object store already holds a later one: every checkpoint of a trial is
// a state of the same training, so the latest is the best place to resume.
func putCheckpoint(ctx context.Context, obs jetstream.ObjectStore, key, trial string, ck *train.Checkpoint) error {
	name := checkpointObject(key, trial)
	if step, ok := storedStep(ctx, obs, name); ok && step >= ck.Step {
		return nil
	}
	blob, err := ck.MarshalBinary()
	if err != nil {
		return err
	}
	meta := jetstream.ObjectMeta{Name: name, Metadata: map[string]string{"step": strconv.Itoa(ck.Step)}}
	if _, err := obs.Put(ctx, meta, bytes.NewReader(blob)); err != nil {
		return fmt.Errorf("distributed: store checkpoint of trial %s: %w", trial, err)
	}
	return nil
}

func storedStep(ctx context.Context, obs jetstream.ObjectStore, name string) (int, bool) {
	info, err := obs.GetInfo(ctx, name)
	if err != nil {
		return 0, false
	}
	step, err := strconv.Atoi(info.Metadata["step"])
	return step, err == nil
}

// getCheckpoint is the trial's latest checkpoint, or nil if it has none;
// a checkpoint that does not decode counts as none, so the trial trains
// from its start rather than never.
func getCheckpoint(ctx context.Context, obs jetstream.ObjectStore, key, trial string, sh shape) (*train.Checkpoint, error) {
	blob, err := getBounded(ctx, obs, checkpointObject(key, trial), sh.maxPayload())
	if errors.Is(err, jetstream.ErrObjectNotFound) || errors.Is(err, errProtocol) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("distributed: read checkpoint of trial %s: %w", trial, err)
	}
	var ck train.Checkpoint
	if ck.UnmarshalBinary(blob) != nil {
		return nil, nil
	}
	return &ck, nil
}

// getBounded reads an object of at most limit bytes; a larger one is an
// errProtocol error and is not read into memory (its size is checked
// before, and the read is cut after, in case it was replaced meanwhile).
func getBounded(ctx context.Context, obs jetstream.ObjectStore, name string, limit int64) ([]byte, error) {
	r, err := obs.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	info, err := r.Info()
	if err != nil {
		return nil, err
	}
	if info.Size > uint64(limit) {
		return nil, fmt.Errorf("%w: object %s of %d bytes, at most %d expected", errProtocol, name, info.Size, limit)
	}
	blob, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(blob)) > limit {
		return nil, fmt.Errorf("%w: object %s of more than %d bytes", errProtocol, name, limit)
	}
	return blob, nil
}
