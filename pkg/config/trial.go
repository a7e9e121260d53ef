package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/sweep-ml/sweep/pkg/train"
)

// ErrEncoding is wrapped by every error about an encoded trial, its
// settings or a stage's stored spec and derived values.
var ErrEncoding = errors.New("config: invalid encoding")

// TrialEncoding is the version of the trial encoding EncodeTrial writes.
//
// Version 1 is the JSON that trial ids were first hashed from, byte for
// byte, so that every stored trial keeps its id: an object with the keys
// "algorithm_version" (train.AlgorithmVersion), "data" (the data set's
// fingerprint) and "training" (every setting of the table by its key, plus
// "seed"), keys sorted, no spaces, floats in encoding/json's shortest
// round-trip form. A step size is a JSON integer when it counts updates and
// the string "1 epoch" or "K epochs" when it counts epochs: each value has
// one spelling. Version 1 carries no version key (the first ids had none);
// a later version adds "encoding": N, which version 1 decoders reject as
// an unknown key.
const TrialEncoding = 1

// Trial is a resolved trial: everything that determines its result.
type Trial struct {
	Settings train.Config // every setting, Seed included
	Data     string       // the data set's fingerprint
	Numerics int          // train.AlgorithmVersion of the numerics
}

// EncodeTrial returns t's canonical encoding; its id is TrialID of these
// bytes.
func EncodeTrial(t Trial) ([]byte, error) {
	settings, err := EncodeSettings(t.Settings)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(t.Data)
	if err != nil {
		return nil, fmt.Errorf("%w: trial: %w", ErrEncoding, err)
	}
	// What json.Marshal writes for a map of these three keys, sorted,
	// assembled directly: planning encodes every trial of a stage, and a
	// second map marshal per trial was most of its cost.
	b := make([]byte, 0, len(settings)+len(data)+48)
	b = append(b, `{"algorithm_version":`...)
	b = strconv.AppendInt(b, int64(t.Numerics), 10)
	b = append(b, `,"data":`...)
	b = append(b, data...)
	b = append(b, `,"training":`...)
	b = append(b, settings...)
	return append(b, '}'), nil
}

// DecodeTrial reads an encoded trial. It accepts only the canonical bytes
// EncodeTrial writes (a trial's bytes are its identity): every key present
// and known, values of the right type and in range, in canonical form.
func DecodeTrial(b []byte) (Trial, error) {
	var m map[string]json.RawMessage
	if err := strictObject(b, &m, "algorithm_version", "data", "training"); err != nil {
		return Trial{}, fmt.Errorf("%w: trial: %w", ErrEncoding, err)
	}
	var t Trial
	if err := json.Unmarshal(m["algorithm_version"], &t.Numerics); err != nil || t.Numerics < 1 {
		return Trial{}, fmt.Errorf("%w: trial: algorithm_version: expected a positive integer, got %s", ErrEncoding, m["algorithm_version"])
	}
	if err := json.Unmarshal(m["data"], &t.Data); err != nil {
		return Trial{}, fmt.Errorf("%w: trial: data: expected a string, got %s", ErrEncoding, m["data"])
	}
	var err error
	if t.Settings, err = DecodeSettings(m["training"]); err != nil {
		return Trial{}, err
	}
	again, err := EncodeTrial(t)
	if err != nil {
		return Trial{}, err
	}
	if !bytes.Equal(again, b) {
		return Trial{}, fmt.Errorf("%w: trial: not in the canonical form of encoding version %d (want %s)", ErrEncoding, TrialEncoding, again)
	}
	return t, nil
}

// TrialID is the id of an encoded trial: the first 12 bytes of its
// SHA-256, in hex.
func TrialID(encoded []byte) string {
	sum := sha256.Sum256(encoded)
	return hex.EncodeToString(sum[:12])
}

// EncodeSettings returns every setting of tc and its seed as one flat JSON
// object keyed by setting name: the "training" part of a trial's
// encoding, which the store keeps as a trial's config.
func EncodeSettings(tc train.Config) ([]byte, error) {
	b, err := json.Marshal(SettingsMap(tc))
	if err != nil {
		return nil, fmt.Errorf("%w: settings: %w", ErrEncoding, err)
	}
	return b, nil
}

// SettingsMap returns every setting of tc and its seed by key, each valued
// as the encoding spells it.
func SettingsMap(tc train.Config) map[string]any {
	m := make(map[string]any, len(Table)+1)
	for i := range Table {
		m[Table[i].Key] = Table[i].jsonValue(Table[i].get(tc))
	}
	m["seed"] = tc.Seed
	return m
}

// DecodeSettings reads what EncodeSettings writes, strictly: every setting
// and the seed present, nothing else, each value of its row's type and in
// its row's bounds, and together valid for train.
func DecodeSettings(b []byte) (train.Config, error) {
	keys := []string{"seed"}
	for _, row := range Table {
		keys = append(keys, row.Key)
	}
	var m map[string]json.RawMessage
	if err := strictObject(b, &m, keys...); err != nil {
		return train.Config{}, fmt.Errorf("%w: settings: %w", ErrEncoding, err)
	}
	var tc train.Config
	if err := json.Unmarshal(m["seed"], &tc.Seed); err != nil {
		return train.Config{}, fmt.Errorf("%w: settings: seed: expected an unsigned integer, got %s", ErrEncoding, m["seed"])
	}
	delete(m, "seed")
	s, err := readSettings(m, canonical)
	if err != nil {
		return train.Config{}, err
	}
	if err := s.ApplyTo(&tc); err != nil {
		return train.Config{}, fmt.Errorf("%w: settings: %w", ErrEncoding, err)
	}
	if err := tc.Validate(0); err != nil {
		return train.Config{}, fmt.Errorf("%w: settings: %w", ErrEncoding, err)
	}
	return tc, nil
}

// ReadSettings reads a stored trial's settings as report shows them: like
// DecodeSettings but without requiring every key, since a trial's stored
// config may list fewer settings than the table (a database written by a
// test, or before a setting existed), and without the rows' bounds, which
// the release that trained the trial checked with its own (a later release
// may bound a setting more tightly; the stored trial stays readable).
// Unknown keys and wrong types are errors. The seed, when present, is
// returned apart.
func ReadSettings(b []byte) (s Settings, seed *uint64, err error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, nil, fmt.Errorf("%w: settings: expected a JSON object, got %.40q", ErrEncoding, b)
	}
	if raw, ok := m["seed"]; ok {
		var x uint64
		if err := json.Unmarshal(raw, &x); err != nil {
			return nil, nil, fmt.Errorf("%w: settings: seed: expected an unsigned integer, got %s", ErrEncoding, raw)
		}
		seed = &x
		delete(m, "seed")
	}
	s, err = readSettings(m, stored)
	return s, seed, err
}

// reading says how strictly readSettings reads.
type reading int

// A stored stage spec may also spell a step size in updates as a string
// ("100"), as specs did before the table gave every value one spelling.
const (
	canonical  reading = iota // the trial encoding: one spelling, in bounds
	stored                    // a stored trial's settings: any bounds
	storedSpec                // a stored stage spec: any bounds, legacy "100"
)

// readSettings reads JSON values by setting name.
func readSettings(m map[string]json.RawMessage, how reading) (Settings, error) {
	s := make(Settings, len(m))
	for name, raw := range m {
		row, ok := Lookup(name)
		if !ok {
			return nil, fmt.Errorf("%w: settings: unknown setting %q", ErrEncoding, name)
		}
		v, err := row.fromJSON(raw, how)
		if err != nil {
			return nil, fmt.Errorf("%w: settings: %s: %w", ErrEncoding, name, err)
		}
		s[name] = v
	}
	return s, nil
}

// jsonValue is a setting's value in the encoding: a step size in updates
// is a number, in epochs its "K epochs" string; the rest as they are.
func (s *Setting) jsonValue(v any) any {
	if st, ok := v.(train.StepSize); ok {
		if st.Epochs > 0 {
			return st.String()
		}
		return st.Updates
	}
	return v
}

// fromJSON reads one value of the row's kind and, when canonical, checks
// it against the row's bounds.
func (s *Setting) fromJSON(raw json.RawMessage, how reading) (any, error) {
	var v any
	switch s.Kind {
	// raw is one valid JSON value (it came out of an object), so strconv
	// reads a number exactly as encoding/json would, without reflection: a
	// report reads every stored trial this way.
	case KindInt:
		x, err := strconv.Atoi(string(raw))
		if err != nil {
			return nil, fmt.Errorf("expected an integer, got %s", raw)
		}
		v = x
	case KindFloat:
		x, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return nil, fmt.Errorf("expected a number, got %s", raw)
		}
		v = x
	case KindStepSize:
		if n, err := strconv.Atoi(string(raw)); err == nil {
			v = train.StepSize{Updates: n}
			break
		}
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return nil, fmt.Errorf(`expected a number of updates or "K epochs", got %s`, raw)
		}
		if n, err := strconv.Atoi(str); how == storedSpec && err == nil && strconv.Itoa(n) == str {
			v = train.StepSize{Updates: n}
			break
		}
		m := epochs.FindStringSubmatch(str)
		k, err := 0, error(nil)
		if m != nil {
			k, err = strconv.Atoi(m[1])
		}
		st := train.StepSize{Epochs: k}
		if m == nil || err != nil || k < 1 || st.String() != str {
			return nil, fmt.Errorf(`expected a number of updates or "K epochs", got %s`, raw)
		}
		v = st
	case KindEnum:
		var x string
		if err := json.Unmarshal(raw, &x); err != nil {
			return nil, fmt.Errorf("expected a string, got %s", raw)
		}
		v = x
	case KindBool:
		switch string(raw) {
		case "true", "false":
			v = string(raw) == "true"
		default:
			return nil, fmt.Errorf("expected true or false, got %s", raw)
		}
	}
	if how == canonical && !s.inBounds(v) {
		return nil, fmt.Errorf("%s is outside %s", raw, s.Bounds())
	}
	return v, nil
}

// inBounds reports whether v, of the row's Go type, is within the row's
// bounds or among its values.
func (s *Setting) inBounds(v any) bool {
	var x float64
	switch v := v.(type) {
	case int:
		x = float64(v)
	case float64:
		x = v
	case train.StepSize:
		if v.Epochs > 0 {
			return v.Updates == 0
		}
		x = float64(v.Updates)
	case string:
		for _, ok := range s.Values {
			if v == ok {
				return true
			}
		}
		return false
	case bool:
		return true
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return false
	}
	if s.Condition != "" {
		return true // train.Config.Validate checks the bounds in context
	}
	if x < s.Min || (s.MinOpen && x == s.Min) {
		return false
	}
	return s.Max == 0 || x <= s.Max
}

// strictObject decodes b into m and requires exactly the given keys.
func strictObject(b []byte, m *map[string]json.RawMessage, keys ...string) error {
	if err := json.Unmarshal(b, m); err != nil || *m == nil {
		return fmt.Errorf("expected a JSON object, got %.40q", b)
	}
	for _, k := range keys {
		if _, ok := (*m)[k]; !ok {
			return fmt.Errorf("missing key %q", k)
		}
	}
	if len(*m) != len(keys) {
		for k := range *m {
			if !slices.Contains(keys, k) {
				return fmt.Errorf("unknown key %q", k)
			}
		}
	}
	return nil
}
