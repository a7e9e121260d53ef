package config

import (
	"errors"
	"strings"

	"github.com/sweep-ml/sweep/pkg/data"
	"github.com/sweep-ml/sweep/pkg/train"
)

// DataSpec converts a config's data section to the loader's spec.
func DataSpec(sec DataSection) data.Spec {
	spec := data.Spec{Source: sec.Source, Dir: sec.Dir, Train: sec.Train, Test: sec.Test,
		Validation: data.Validation{Files: sec.Validation.Files}}
	if sec.Validation.Holdout > 0 {
		h := sec.Validation.Holdout
		spec.Validation.Holdout = &h
	}
	return spec
}

// DataError places a data set error that comes from the data section's
// settings (the split rules, such as a holdout larger than the data) at
// that section of the file, like the errors of Validate. Errors in the data
// files themselves already name their file and are returned as they are.
func (c Config) DataError(st *Stage, err error) error {
	section := "data"
	if st != nil {
		if _, ok := c.pos[st.path()+".data"]; ok {
			section = st.path() + ".data"
		}
	}
	var de *data.Error
	switch {
	case errors.Is(err, data.ErrSpec):
		return c.wrapf(err, section, "%s", strings.TrimPrefix(err.Error(), "data: "))
	case errors.As(err, &de) && errors.Is(err, data.ErrNotFound) && de.Path == c.DataSection(st).Dir:
		// The directory itself is missing: point at the key that names it.
		hint := ""
		if c.DataSection(st).Source == SourceCIFAR10 {
			hint = " (CIFAR-10 is not included: unpack its python or binary version there)"
		}
		return c.wrapf(err, section+".dir", "%s: %s%s", de.Path, de.Msg, hint)
	}
	return err
}

// HasSearch reports whether the config file has a search section.
func (c Config) HasSearch() bool {
	_, ok := c.pos["search"]
	return ok
}

// DataSettings describes a loaded data set for output: the section's
// settings plus what loading found.
func DataSettings(sec DataSection, info *data.Dataset) map[string]any {
	m := dataJSON(sec)
	m["format"] = info.Format
	m["fingerprint"] = info.Fingerprint
	m["features"] = info.D
	m["classes"] = info.K
	m["train_examples"] = info.Train.N
	m["validation_examples"] = info.Val.N
	m["test_examples"] = info.Test.N
	return m
}

// CheckFit checks the settings tc of stage st (nil for the base settings)
// against the data set ds it trains on (its size and shape). A setting that does not fit,
// such as a batch larger than the data or a network too big for memory, is reported where the config file
// sets it, like the errors of Validate.
func (c Config) CheckFit(st *Stage, tc train.Config, ds *train.Dataset) error {
	var te *train.ConfigError
	err := tc.Validate(ds.NTrain())
	if err == nil {
		err = tc.CheckSize(ds.D, ds.K, ds.NTrain())
	}
	if !errors.As(err, &te) {
		return err
	}
	path := te.Key
	if st != nil {
		bare := te.Key[strings.LastIndexByte(te.Key, '.')+1:]
		keys := []string{st.path() + ".space." + bare, st.path() + "." + te.Key}
		if st.LRRange != nil && bare == "step_size" {
			keys = []string{st.path() + ".lr_range.epochs"}
		}
		for _, k := range keys {
			if _, ok := c.pos[k]; ok {
				path = k
				break
			}
		}
	}
	return c.wrapf(te, path, "%s", te.Reason)
}
