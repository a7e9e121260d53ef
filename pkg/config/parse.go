package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sweep-ml/sweep/pkg/train"
)

// ParseOptions says where a config comes from.
type ParseOptions struct {
	File    string // named in messages
	BaseDir string // relative paths are resolved against it; empty: the working directory
}

// Load reads the config file at path; relative paths in it are resolved
// against the file's directory.
func Load(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	c, err := Parse(f, ParseOptions{File: path, BaseDir: filepath.Dir(path)})
	if err == nil && len(c.pos) == 0 {
		// A config file with no settings is a mistake (the wrong file, an
		// unsaved editor), not a request for the default sweep.
		return c, &FieldError{File: path, Reason: "the file sets nothing (sweep init writes a starter config)"}
	}
	return c, err
}

// Parse reads a config: Default() overlaid with the YAML document in r. It
// checks the structure (known keys, types, shapes); Validate checks the
// values. Errors are *FieldError.
func Parse(r io.Reader, opts ParseOptions) (Config, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return Config{}, fmt.Errorf("config: reading %s: %w", opts.File, err)
	}
	base, err := filepath.Abs(opts.BaseDir)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c := Default()
	c.File, c.Raw, c.pos = opts.File, raw, positions{}
	p := &parser{file: opts.File, base: base, pos: c.pos}
	root, err := p.document(raw)
	if err != nil || root == nil {
		return c, err
	}
	if err := p.config(root, &c); err != nil {
		return c, err
	}
	return c, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// document decodes the single YAML document in raw; nil means empty.
func (p *parser) document(raw []byte) (root *yaml.Node, err error) {
	// yaml.v3 has panicked on malformed input before; a config must never
	// crash the program.
	defer func() {
		if r := recover(); r != nil {
			err = &FieldError{File: p.file, Reason: fmt.Sprintf("invalid YAML: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, p.yamlError(err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, &FieldError{File: p.file, Line: extra.Line, Column: extra.Column,
			Reason: "a second YAML document; a config is one document"}
	case !errors.Is(err, io.EOF):
		return nil, p.yamlError(err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

func (p *parser) yamlError(err error) error {
	msg := err.Error()
	e := &FieldError{File: p.file}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	e.Reason = "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")
	return e
}

// pos is where a key is in the file.
type pos struct{ Line, Column int }

// positions maps key paths to where they are in the file.
type positions map[string]pos

// at returns the position of path or, failing that, of its closest
// ancestor, so a setting's error points at the section that holds it.
func (ps positions) at(path string) pos {
	for path != "" {
		if q, ok := ps[path]; ok {
			return q
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return pos{}
}

func (c Config) errorf(path, format string, a ...any) *FieldError {
	q := c.pos.at(path)
	return &FieldError{File: c.File, Line: q.Line, Column: q.Column, Path: path, Reason: fmt.Sprintf(format, a...)}
}

// wrapf is errorf for a problem another package found: the error keeps
// cause in its chain (train.ErrInvalidConfig for a training setting).
func (c Config) wrapf(cause error, path, format string, a ...any) *FieldError {
	e := c.errorf(path, format, a...)
	e.Err = cause
	return e
}

type parser struct {
	file string
	base string
	pos  positions
}

func (p *parser) errorf(path, format string, a ...any) error {
	return Config{File: p.file, pos: p.pos}.errorf(path, format, a...)
}

// errorAt reports an error at node n, for keys that get no path of their
// own (unknown keys are reported against their section).
func (p *parser) errorAt(q pos, path, format string, a ...any) error {
	return &FieldError{File: p.file, Line: q.Line, Column: q.Column, Path: path, Reason: fmt.Sprintf(format, a...)}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// describe names a node's value in "got ..." messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return fmt.Sprintf("string %q", n.Value)
		case "!!null":
			return "null"
		}
		if strings.ContainsAny(n.Value, "\n\r") {
			return strconv.Quote(n.Value)
		}
		return n.Value
	}
	return "an unsupported YAML value"
}

type fields map[string]func(v *yaml.Node, path string) error

// mapping walks a mapping node, calling the handler of each key. A null
// node is an empty mapping, so `training:` with nothing under it is fine.
func (p *parser) mapping(n *yaml.Node, path string, f fields) error {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return p.errorf(path, "expected a mapping, got %s", describe(n))
	}
	known := make([]string, 0, len(f))
	for k := range f {
		known = append(known, k)
	}
	sort.Strings(known)
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return p.errorAt(pos{k.Line, k.Column}, path, "expected a key, got %s", describe(k))
		}
		name := k.Value
		kp := join(path, name)
		if line, dup := first[name]; dup {
			p.pos[kp] = pos{k.Line, k.Column}
			return p.errorf(kp, "duplicate key %q (first on line %d)", name, line)
		}
		first[name] = k.Line
		handle, ok := f[name]
		if !ok {
			return p.errorAt(pos{k.Line, k.Column}, path, "unknown key %q%s", name, p.hint(path, name, known))
		}
		p.pos[kp] = pos{k.Line, k.Column}
		if err := handle(v, kp); err != nil {
			return err
		}
	}
	return nil
}

// hint suggests a fix for an unknown key: the section a training or model
// key belongs in, the closest known key, or else every known one.
func (p *parser) hint(path, name string, known []string) string {
	if s, ok := Lookup(name); ok && !strings.HasSuffix(path, s.Section) && !strings.HasSuffix(path, "space") {
		return fmt.Sprintf(" (%s belongs in the %s section)", name, s.Section)
	}
	if h := suggest(name, known); h != "" {
		return h
	}
	return " (expected one of " + strings.Join(known, ", ") + ")"
}

func (p *parser) number(n *yaml.Node, path string) (float64, error) {
	n = deref(n)
	var x float64
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&x) != nil {
		return 0, p.errorf(path, "expected a number, got %s", describe(n))
	}
	return x, nil
}

// integer accepts integral floats too (1e3), since YAML resolves those as
// floats; 100.5 is an error.
func (p *parser) integer(n *yaml.Node, path string) (int, error) {
	n = deref(n)
	var x float64
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&x) != nil || !whole(x) {
		return 0, p.errorf(path, "expected an integer, got %s", describe(n))
	}
	return int(x), nil
}

func (p *parser) str(n *yaml.Node, path string) (string, error) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return "", p.errorf(path, "expected a string, got %s", describe(n))
	}
	return n.Value, nil
}

func (p *parser) list(n *yaml.Node, path string) ([]*yaml.Node, error) {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		return nil, p.errorf(path, "expected a list, got %s", describe(n))
	}
	for i, e := range n.Content {
		p.pos[fmt.Sprintf("%s[%d]", path, i)] = pos{e.Line, e.Column}
	}
	return n.Content, nil
}

func (p *parser) strings(n *yaml.Node, path string) ([]string, error) {
	items, err := p.list(n, path)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(items))
	for i, e := range items {
		if out[i], err = p.str(e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// path resolves a file path against the config's directory.
func (p *parser) path(s string) string {
	if s == "" || filepath.IsAbs(s) {
		return s
	}
	return filepath.Join(p.base, s)
}

// files resolves the entries that are paths (hold a slash); bare names stay
// names inside data.dir.
func (p *parser) files(names []string) []string {
	for i, s := range names {
		if strings.ContainsRune(s, '/') || strings.ContainsRune(s, filepath.Separator) {
			names[i] = p.path(s)
		}
	}
	return names
}

func (p *parser) config(root *yaml.Node, c *Config) error {
	return p.mapping(root, "", fields{
		"name": func(v *yaml.Node, path string) (err error) {
			c.Name, err = p.str(v, path)
			return err
		},
		"seed": func(v *yaml.Node, path string) error {
			x, err := p.integer(v, path)
			if err == nil && x < 0 {
				err = p.errorf(path, "expected a non-negative integer, got %d", x)
			}
			c.Seed = uint64(x)
			return err
		},
		"data": func(v *yaml.Node, path string) error {
			var o DataOverride
			err := p.data(v, path, &o)
			c.Data = o.apply(c.Data)
			return err
		},
		"model": func(v *yaml.Node, path string) error {
			return p.section(v, path, "model", &c.Training)
		},
		"training": func(v *yaml.Node, path string) error {
			return p.section(v, path, "training", &c.Training)
		},
		"search": func(v *yaml.Node, path string) error { return p.search(v, path, &c.Search) },
	})
}

// section parses a top-level training or model section onto tc.
func (p *parser) section(n *yaml.Node, path, section string, tc *train.Config) error {
	s := Settings{}
	if err := p.settings(n, path, section, s); err != nil {
		return err
	}
	return s.ApplyTo(tc)
}

func (p *parser) data(n *yaml.Node, path string, o *DataOverride) error {
	return p.mapping(n, path, fields{
		"source": func(v *yaml.Node, path string) error {
			s, err := p.str(v, path)
			o.Source = &s
			return err
		},
		"dir": func(v *yaml.Node, path string) error {
			s, err := p.str(v, path)
			s = p.path(s)
			o.Dir = &s
			return err
		},
		"train": func(v *yaml.Node, path string) (err error) {
			o.Train, err = p.strings(v, path)
			o.Train = p.files(o.Train)
			return err
		},
		"test": func(v *yaml.Node, path string) (err error) {
			o.Test, err = p.strings(v, path)
			o.Test = p.files(o.Test)
			return err
		},
		"validation": func(v *yaml.Node, path string) error {
			o.Validation = &Validation{}
			return p.mapping(v, path, fields{
				"holdout": func(v *yaml.Node, path string) (err error) {
					o.Validation.Holdout, err = p.integer(v, path)
					return err
				},
				"files": func(v *yaml.Node, path string) (err error) {
					o.Validation.Files, err = p.strings(v, path)
					o.Validation.Files = p.files(o.Validation.Files)
					return err
				},
			})
		},
	})
}

// stepSize parses "K epochs", "1 epoch" or an integer number of updates.
var epochs = regexp.MustCompile(`^\s*(\d+)\s+epochs?\s*$`)

func (p *parser) stepSize(n *yaml.Node, path string) (train.StepSize, error) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		m := epochs.FindStringSubmatch(n.Value)
		k, err := 0, error(nil)
		if m != nil {
			k, err = strconv.Atoi(m[1])
		}
		if m == nil || err != nil || k < 1 {
			return train.StepSize{}, p.errorf(path, `expected a number of updates or "K epochs" with an integer K >= 1, got %q`, n.Value)
		}
		return train.StepSize{Epochs: k}, nil
	}
	u, err := p.integer(n, path)
	if err != nil {
		return train.StepSize{}, p.errorf(path, `expected a number of updates or "K epochs", got %s`, describe(n))
	}
	return train.StepSize{Updates: u}, nil
}

// settings parses a training or model section into s.
func (p *parser) settings(n *yaml.Node, path, section string, s Settings) error {
	f := fields{}
	for _, name := range keysOf(section) {
		f[name] = func(v *yaml.Node, path string) error {
			var (
				x   any
				err error
			)
			row, _ := Lookup(name)
			switch row.Kind {
			case KindInt:
				x, err = p.integer(v, path)
			case KindFloat:
				x, err = p.number(v, path)
			case KindStepSize:
				x, err = p.stepSize(v, path)
			case KindEnum:
				x, err = p.str(v, path)
			case KindBool:
				v = deref(v)
				var b bool
				if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" || v.Decode(&b) != nil {
					err = p.errorf(path, "expected true or false, got %s", describe(v))
				}
				x = b
			}
			s[name] = x
			return err
		}
	}
	return p.mapping(n, path, f)
}

func (p *parser) search(n *yaml.Node, path string, s *SearchSection) error {
	return p.mapping(n, path, fields{
		"workers": func(v *yaml.Node, path string) (err error) {
			s.Workers, err = p.integer(v, path)
			return err
		},
		"stages": func(v *yaml.Node, path string) error {
			items, err := p.list(v, path)
			if err != nil {
				return err
			}
			s.Stages = make([]Stage, len(items))
			for i, item := range items {
				if err := p.stage(item, fmt.Sprintf("%s[%d]", path, i), &s.Stages[i]); err != nil {
					return err
				}
				s.Stages[i].Index = i
			}
			return nil
		},
	})
}

func (p *parser) stage(n *yaml.Node, path string, st *Stage) error {
	st.Training = Settings{}
	given := map[string]bool{}
	set := func(key string, parse func(v *yaml.Node, path string) error) func(*yaml.Node, string) error {
		return func(v *yaml.Node, path string) error {
			given[key] = true
			return parse(v, path)
		}
	}
	err := p.mapping(n, path, fields{
		"name": set("name", func(v *yaml.Node, path string) (err error) {
			st.Name, err = p.str(v, path)
			return err
		}),
		"after": set("after", func(v *yaml.Node, path string) (err error) {
			st.After, err = p.str(v, path)
			return err
		}),
		"sampler": set("sampler", func(v *yaml.Node, path string) error {
			s, err := p.str(v, path)
			st.Sampler = Sampler(s)
			return err
		}),
		"trials": set("trials", func(v *yaml.Node, path string) (err error) {
			st.Trials, err = p.integer(v, path)
			return err
		}),
		"seeds": set("seeds", func(v *yaml.Node, path string) (err error) {
			st.Seeds, err = p.integer(v, path)
			return err
		}),
		"best": set("best", func(v *yaml.Node, path string) (err error) {
			st.Best, err = p.integer(v, path)
			return err
		}),
		"space": set("space", func(v *yaml.Node, path string) error { return p.space(v, path, st) }),
		"refine": set("refine", func(v *yaml.Node, path string) error {
			st.Refine = &Refine{Top: 3, Margin: 0.25}
			return p.mapping(v, path, fields{
				"top": func(v *yaml.Node, path string) (err error) {
					st.Refine.Top, err = p.integer(v, path)
					return err
				},
				"margin": func(v *yaml.Node, path string) (err error) {
					st.Refine.Margin, err = p.number(v, path)
					return err
				},
			})
		}),
		"halving": set("halving", func(v *yaml.Node, path string) error {
			st.Halving = &Halving{MinCycles: 1, Eta: 3}
			return p.mapping(v, path, fields{
				"min_cycles": func(v *yaml.Node, path string) (err error) {
					st.Halving.MinCycles, err = p.integer(v, path)
					return err
				},
				"eta": func(v *yaml.Node, path string) (err error) {
					st.Halving.Eta, err = p.integer(v, path)
					return err
				},
			})
		}),
		"tpe":      set("tpe", func(v *yaml.Node, path string) error { return p.tpe(v, path, st, given) }),
		"lr_range": set("lr_range", func(v *yaml.Node, path string) error { return p.lrRange(v, path, st) }),
		"training": set("training", func(v *yaml.Node, path string) error {
			return p.settings(v, path, "training", st.Training)
		}),
		"model": set("model", func(v *yaml.Node, path string) error {
			return p.settings(v, path, "model", st.Training)
		}),
		"data": set("data", func(v *yaml.Node, path string) error { return p.data(v, path, &st.Data) }),
	})
	if err != nil {
		return err
	}
	// Best and range stages sample nothing; Validate reports a sampler or
	// trials beside them, so only sampling stages get the defaults.
	if !given["best"] && !given["lr_range"] {
		if !given["sampler"] {
			st.Sampler = Grid
		}
		if !given["trials"] {
			st.Trials = 1
		}
		if st.Sampler == TPESampler && st.TPE == nil {
			st.TPE = &TPE{Batch: 4}
		}
		// The default startup is the same however the options are spelt
		// (none, tpe: {}, tpe: null, tpe: {batch: 2}).
		if st.TPE != nil && !given["tpe.startup"] {
			st.TPE.Startup = min(8, st.Trials)
		}
	}
	if !given["seeds"] {
		st.Seeds = 1
	}
	return nil
}

func (p *parser) space(n *yaml.Node, path string, st *Stage) error {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return p.errorf(path, "expected a mapping, got %s", describe(n))
	}
	// Every key is accepted here so that a known but non-numeric key gets a
	// better message than "unknown key".
	f := fields{}
	for i := 0; i < len(n.Content); i += 2 {
		if k := deref(n.Content[i]); k.Kind == yaml.ScalarNode {
			f[k.Value] = func(v *yaml.Node, path string) error {
				name := path[strings.LastIndexByte(path, '.')+1:]
				if !numeric(name) {
					if _, known := Lookup(name); !known {
						// Like other unknown keys, named against the section.
						return p.errorAt(p.pos[path], path[:len(path)-len(name)-1], "%s", notSearchable(name))
					}
					return p.errorf(path, "%s", notSearchable(name))
				}
				d, err := p.dimension(v, path, name)
				st.Space = append(st.Space, d)
				return err
			}
		}
	}
	if err := p.mapping(n, path, f); err != nil {
		return err
	}
	sort.Slice(st.Space, func(i, j int) bool { return st.Space[i].Name < st.Space[j].Name })
	return nil
}

var dimKinds = map[string]DimKind{"log10": Log10, "loguniform": LogUniform, "uniform": Uniform, "int": Int, "choice": Choice}

func (p *parser) dimension(n *yaml.Node, path, name string) (Dimension, error) {
	n = deref(n)
	d := Dimension{Name: name}
	if n.Kind != yaml.MappingNode {
		x, err := p.number(n, path)
		if err != nil {
			err = p.errorf(path, "expected a number or a mapping like {log10: [a, b]}, got %s", describe(n))
		}
		d.Kind, d.Values = Const, []float64{x}
		return d, err
	}
	if len(n.Content) != 2 {
		return d, p.errorf(path, "expected exactly one of log10, loguniform, uniform, int or choice, got %d keys", len(n.Content)/2)
	}
	k, v := deref(n.Content[0]), deref(n.Content[1])
	kind, ok := dimKinds[k.Value]
	if k.Kind != yaml.ScalarNode || !ok {
		return d, p.errorf(path, "unknown dimension %q; expected log10, loguniform, uniform, int or choice%s",
			k.Value, suggest(k.Value, []string{"choice", "int", "log10", "loguniform", "uniform"}))
	}
	d.Kind = kind
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && v.Value == "refine" && kind != Int && kind != Choice {
		d.Refine = true
		return d, nil
	}
	if v.Kind != yaml.SequenceNode {
		return d, p.errorf(path, "%s, got %s", expectation(kind), describe(v))
	}
	values := make([]float64, len(v.Content))
	for i, e := range v.Content {
		x, err := p.number(e, path)
		if err != nil {
			return d, p.errorf(path, "%s, got %s in the list", expectation(kind), describe(deref(e)))
		}
		values[i] = x
	}
	if kind == Choice {
		d.Values = values
		return d, nil
	}
	if len(values) != 2 {
		return d, p.errorf(path, "%s, got %s", expectation(kind), fmtList(values))
	}
	d.Lo, d.Hi = values[0], values[1]
	return d, nil
}
