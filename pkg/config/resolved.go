package config

import (
	"encoding/json"
	"fmt"
)

// Resolved returns every setting of the config, defaults filled and paths
// absolute, as canonical JSON (keys sorted, no spaces): what the store
// records and `sweep train --json` prints. Workers is recorded as given (0
// means GOMAXPROCS) so that the JSON does not depend on the machine.
func (c Config) Resolved() ([]byte, error) {
	stages := make([]any, len(c.Search.Stages))
	for i := range c.Search.Stages {
		var err error
		if stages[i], err = stageJSON(&c.Search.Stages[i]); err != nil {
			return nil, err
		}
	}
	sections := map[string]map[string]any{"training": {}, "model": {}}
	for i := range Table {
		row := &Table[i]
		sections[row.Section][row.Key] = row.jsonValue(row.get(c.Training))
	}
	m := map[string]any{
		"name":     c.Name,
		"seed":     c.Seed,
		"data":     dataJSON(c.Data),
		"model":    sections["model"],
		"training": sections["training"],
		"search":   map[string]any{"workers": c.Search.Workers, "stages": stages},
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("config: resolved config: %w", err)
	}
	return b, nil
}

func dataJSON(d DataSection) map[string]any {
	m := map[string]any{
		"source":     d.Source,
		"validation": validationJSON(d.Validation),
	}
	if d.Dir != "" {
		m["dir"] = d.Dir
	}
	if d.Train != nil {
		m["train"] = d.Train
	}
	if d.Test != nil {
		m["test"] = d.Test
	}
	return m
}

func validationJSON(v Validation) map[string]any {
	m := map[string]any{"holdout": v.Holdout}
	if v.Files != nil {
		m["files"] = v.Files
	}
	return m
}

// stageJSON is a stage as Resolved and EncodeStage write it.
func stageJSON(st *Stage) (map[string]any, error) {
	m := map[string]any{"name": st.Name, "seeds": st.Seeds}
	switch {
	case st.LRRange != nil:
		m["lr_range"] = map[string]any{"min": st.LRRange.Min, "max": st.LRRange.Max, "epochs": st.LRRange.Epochs}
	case st.Best > 0:
		m["best"] = st.Best
	default:
		m["sampler"], m["trials"] = st.Sampler, st.Trials
	}
	if st.After != "" {
		m["after"] = st.After
	}
	if len(st.Space) > 0 {
		space := map[string]any{}
		for _, d := range st.Space {
			space[d.Name] = dimensionJSON(d)
		}
		m["space"] = space
	}
	if st.Refine != nil {
		m["refine"] = map[string]any{"top": st.Refine.Top, "margin": st.Refine.Margin}
	}
	if st.Halving != nil {
		m["halving"] = map[string]any{"min_cycles": st.Halving.MinCycles, "eta": st.Halving.Eta}
	}
	if st.TPE != nil {
		m["tpe"] = map[string]any{"startup": st.TPE.Startup, "batch": st.TPE.Batch}
	}
	for name, v := range st.Training {
		row, ok := Lookup(name)
		if !ok {
			return nil, fmt.Errorf("%w: stage %q: unknown setting %q", ErrEncoding, st.Name, name)
		}
		if m[row.Section] == nil {
			m[row.Section] = map[string]any{}
		}
		m[row.Section].(map[string]any)[name] = row.jsonValue(v)
	}
	if d := overrideJSON(st.Data); len(d) > 0 {
		m["data"] = d
	}
	return m, nil
}

func dimensionJSON(d Dimension) any {
	switch {
	case d.Kind == Const && len(d.Values) == 1:
		return d.Values[0]
	case d.Kind == Choice:
		return map[string]any{"choice": d.Values}
	case d.Refine:
		return map[string]any{d.Kind.String(): "refine"}
	}
	return map[string]any{d.Kind.String(): []float64{d.Lo, d.Hi}}
}

func overrideJSON(o DataOverride) map[string]any {
	m := map[string]any{}
	if o.Source != nil {
		m["source"] = *o.Source
	}
	if o.Dir != nil {
		m["dir"] = *o.Dir
	}
	if o.Train != nil {
		m["train"] = o.Train
	}
	if o.Test != nil {
		m["test"] = o.Test
	}
	if o.Validation != nil {
		m["validation"] = validationJSON(*o.Validation)
	}
	return m
}
