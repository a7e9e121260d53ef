package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// Derived is what a stage computed from earlier results when it started. It
// is stored with the stage, so the plan never moves afterwards and a report
// can say where a range came from.
type Derived struct {
	// Ranges holds each refine dimension's interval (exponents for log
	// dimensions) and From the trials it was computed from.
	Ranges map[string]Range `json:"ranges,omitempty"`
	From   []string         `json:"from,omitempty"`
	// Sources are the trials a best stage retrains, best first.
	Sources []string `json:"sources,omitempty"`
	// Rates are what a range stage derived from its history once its
	// trial finished: every later stage trains with them.
	Rates *RangeRates `json:"rates,omitempty"`
	// Proposed are the points a tpe stage proposed after its startup
	// points, in order, as coordinates in [0, 1) of each dimension's
	// sampling range, by setting name: the planner maps them as it maps
	// sobol's.
	Proposed []map[string]float64 `json:"proposed,omitempty"`
	// Rounds holds the number of points of each proposed round (round 1
	// first), which add up to len(Proposed): a round cut short by the
	// stage's trials stays short when trials grow. A stage stored before
	// it has none; its rounds are batches of Proposed (TPERoundSizes).
	Rounds []int `json:"rounds,omitempty"`
	// Startup is the number of a tpe stage's first trials that train its
	// startup points (on a halving stage, at its first rung), which a plot
	// tells apart from the proposed ones.
	Startup int `json:"startup,omitempty"`
}

// MarshalJSON writes ranges as [lo, hi] pairs.
func (r Range) MarshalJSON() ([]byte, error) { return json.Marshal([2]float64{r.Lo, r.Hi}) }

// UnmarshalJSON reads a [lo, hi] pair.
func (r *Range) UnmarshalJSON(b []byte) error {
	var p []float64
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if len(p) != 2 {
		return fmt.Errorf("a range is [lo, hi], got %s", b)
	}
	r.Lo, r.Hi = p[0], p[1]
	return nil
}

// EncodeDerived returns the stored form of a stage's derived values.
func EncodeDerived(d Derived) ([]byte, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("%w: derived values: %w", ErrEncoding, err)
	}
	return b, nil
}

// DecodeDerived reads what EncodeDerived writes; unknown keys and wrong
// types are errors. Empty input (a stage stored without derived values)
// is the zero Derived.
func DecodeDerived(b []byte) (Derived, error) {
	var d Derived
	if len(b) == 0 {
		return d, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return Derived{}, fmt.Errorf("%w: derived values: %w", ErrEncoding, err)
	}
	// A range stage derives both rates, 0 < eta_min <= eta_max; a missing
	// key would read as 0.
	if r := d.Rates; r != nil && !(r.EtaMin > 0 && r.EtaMax >= r.EtaMin) {
		return Derived{}, fmt.Errorf("%w: derived values: rates: expected 0 < eta_min <= eta_max, got %s", ErrEncoding, b)
	}
	if d.Startup < 0 {
		return Derived{}, fmt.Errorf("%w: derived values: startup: expected a count, got %d", ErrEncoding, d.Startup)
	}
	if err := checkProposed(d.Proposed, d.Rounds); err != nil {
		return Derived{}, fmt.Errorf("%w: derived values: %w", ErrEncoding, err)
	}
	return d, nil
}

// EncodeStage returns the stored form of a stage's settings, its spec: the
// stage as the file gives it, defaults filled (the form Resolved lists).
func EncodeStage(st *Stage) ([]byte, error) {
	m, err := stageJSON(st)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: stage %q: %w", ErrEncoding, st.Name, err)
	}
	return b, nil
}

// DecodeStage reads a stored stage spec back into a Stage (without its
// Index, which the store keeps beside it, as it keeps the name). Unknown keys, wrong types and
// malformed dimensions are errors; EncodeStage of the result gives the
// same bytes, except that a step size in updates written by an earlier
// release as a string ("100") now reads as the number it is.
func DecodeStage(b []byte) (Stage, error) {
	var st Stage
	var m map[string]json.RawMessage
	fail := func(key string, err error) (Stage, error) {
		return Stage{}, fmt.Errorf("%w: stage %q: %s: %w", ErrEncoding, st.Name, key, err)
	}
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return Stage{}, fmt.Errorf("%w: stage spec: expected a JSON object, got %.40q", ErrEncoding, b)
	}
	if raw, ok := m["name"]; ok {
		if err := json.Unmarshal(raw, &st.Name); err != nil {
			return fail("name", err)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(m)) {
		raw := m[key]
		var err error
		switch key {
		case "name":
		case "after":
			err = json.Unmarshal(raw, &st.After)
		case "best":
			err = json.Unmarshal(raw, &st.Best)
		case "sampler":
			err = json.Unmarshal(raw, &st.Sampler)
		case "trials":
			err = json.Unmarshal(raw, &st.Trials)
		case "seeds":
			err = json.Unmarshal(raw, &st.Seeds)
		case "refine":
			var r struct {
				Top    *int     `json:"top"`
				Margin *float64 `json:"margin"`
			}
			if err = strictDecode(raw, &r); err == nil && (r.Top == nil || r.Margin == nil) {
				err = fmt.Errorf("expected top and margin, got %s", raw)
			}
			if err == nil {
				st.Refine = &Refine{Top: *r.Top, Margin: *r.Margin}
			}
		case "halving":
			var h struct {
				MinCycles *int `json:"min_cycles"`
				Eta       *int `json:"eta"`
			}
			if err = strictDecode(raw, &h); err == nil && (h.MinCycles == nil || h.Eta == nil) {
				err = fmt.Errorf("expected min_cycles and eta, got %s", raw)
			}
			if err == nil {
				st.Halving = &Halving{MinCycles: *h.MinCycles, Eta: *h.Eta}
			}
		case "tpe":
			var t struct {
				Startup *int `json:"startup"`
				Batch   *int `json:"batch"`
			}
			if err = strictDecode(raw, &t); err == nil && (t.Startup == nil || t.Batch == nil) {
				err = fmt.Errorf("expected startup and batch, got %s", raw)
			}
			if err == nil {
				st.TPE = &TPE{Startup: *t.Startup, Batch: *t.Batch}
			}
		case "lr_range":
			var r struct {
				Min    *float64 `json:"min"`
				Max    *float64 `json:"max"`
				Epochs *int     `json:"epochs"`
			}
			if err = strictDecode(raw, &r); err == nil && (r.Min == nil || r.Max == nil || r.Epochs == nil) {
				err = fmt.Errorf("expected min, max and epochs, got %s", raw)
			}
			if err == nil {
				st.LRRange = &LRRange{Min: *r.Min, Max: *r.Max, Epochs: *r.Epochs}
			}
		case "space":
			st.Space, err = decodeSpace(raw)
		case "training", "model":
			var sec map[string]json.RawMessage
			if err = json.Unmarshal(raw, &sec); err != nil {
				break
			}
			for name := range sec {
				if row, ok := Lookup(name); ok && row.Section != key {
					return fail(key, fmt.Errorf("%s belongs in the %s section", name, row.Section))
				}
			}
			var s Settings
			if s, err = readSettings(sec, storedSpec); err == nil {
				if st.Training == nil {
					st.Training = Settings{}
				}
				maps.Copy(st.Training, s)
			}
		case "data":
			st.Data, err = decodeDataOverride(raw)
		default:
			err = fmt.Errorf("unknown key")
		}
		if err != nil {
			return fail(key, err)
		}
	}
	return st, nil
}

func strictDecode(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// decodeSpace reads the dimensions dimensionJSON writes, sorted by name as
// Parse sorts them.
func decodeSpace(raw []byte) ([]Dimension, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	var dims []Dimension
	for _, name := range slices.Sorted(maps.Keys(m)) {
		d := Dimension{Name: name}
		var x float64
		var spec map[string]json.RawMessage
		switch {
		case json.Unmarshal(m[name], &x) == nil:
			d.Kind, d.Values = Const, []float64{x}
		case json.Unmarshal(m[name], &spec) == nil && len(spec) == 1:
			for k, v := range spec {
				kind, ok := dimKinds[k]
				if !ok {
					return nil, fmt.Errorf("%s: unknown dimension %q", name, k)
				}
				d.Kind = kind
				var refine string
				var values []float64
				switch {
				case kind == Choice && json.Unmarshal(v, &values) == nil:
					d.Values = values
				case kind != Choice && json.Unmarshal(v, &refine) == nil && refine == "refine":
					d.Refine = true
				case kind != Choice && json.Unmarshal(v, &values) == nil && len(values) == 2:
					d.Lo, d.Hi = values[0], values[1]
				default:
					return nil, fmt.Errorf("%s: %s", name, expectation(kind))
				}
			}
		default:
			return nil, fmt.Errorf("%s: expected a number or a dimension like {\"log10\": [a, b]}, got %s", name, m[name])
		}
		dims = append(dims, d)
	}
	return dims, nil
}

func decodeDataOverride(raw []byte) (DataOverride, error) {
	var w struct {
		Source     *string  `json:"source"`
		Dir        *string  `json:"dir"`
		Train      []string `json:"train"`
		Test       []string `json:"test"`
		Validation *struct {
			Holdout *int     `json:"holdout"`
			Files   []string `json:"files"`
		}
	}
	if err := strictDecode(raw, &w); err != nil {
		return DataOverride{}, err
	}
	o := DataOverride{Source: w.Source, Dir: w.Dir, Train: w.Train, Test: w.Test}
	if v := w.Validation; v != nil {
		if v.Holdout == nil {
			return DataOverride{}, fmt.Errorf("validation: missing holdout")
		}
		o.Validation = &Validation{Holdout: *v.Holdout, Files: v.Files}
	}
	return o, nil
}
