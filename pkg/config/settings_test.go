package config

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/pkg/train"
)

// other returns a valid value of the row different from v.
func other(row *Setting, v any) any {
	switch v := v.(type) {
	case int:
		return v + 1
	case float64:
		if row.Max > 0 {
			return v / 2
		}
		if v == 0 {
			return 0.5
		}
		return v * 2
	case train.StepSize:
		if v.Epochs > 0 {
			return train.StepSize{Updates: 123}
		}
		return train.StepSize{Epochs: 3}
	case string:
		for _, x := range row.Values {
			if x != v {
				return x
			}
		}
	case bool:
		return !v
	}
	panic("no other value")
}

// Every field of train.Config but the seed has exactly one row, and every
// row reaches its field: a new field without a row fails here.
func TestTableCoversTrainConfig(t *testing.T) {
	typ := reflect.TypeOf(train.Config{})
	covered := map[string]string{}
	for i := range Table {
		row := &Table[i]
		base := train.DefaultConfig()
		changed := base
		v := other(row, row.get(base))
		if err := (Settings{row.Key: v}).ApplyTo(&changed); err != nil {
			t.Fatalf("%s: %v", row.Key, err)
		}
		if got := row.get(changed); !reflect.DeepEqual(got, v) {
			t.Errorf("%s: set %v, read back %v", row.Key, v, got)
		}
		var fields []string
		for f := range typ.NumField() {
			if !reflect.DeepEqual(reflect.ValueOf(base).Field(f).Interface(), reflect.ValueOf(changed).Field(f).Interface()) {
				fields = append(fields, typ.Field(f).Name)
			}
		}
		if len(fields) != 1 {
			t.Errorf("%s changes fields %v, want exactly one", row.Key, fields)
			continue
		}
		if prev, dup := covered[fields[0]]; dup {
			t.Errorf("%s and %s both set train.Config.%s", prev, row.Key, fields[0])
		}
		covered[fields[0]] = row.Key
	}
	for f := range typ.NumField() {
		name := typ.Field(f).Name
		if _, ok := covered[name]; !ok && name != "Seed" {
			t.Errorf("train.Config.%s has no row in config.Table", name)
		}
	}
}

// Every row is parsed from its section, validated, listed in the starter
// config, the resolved config and a trial's settings, round-trips through
// the encoding, and is searchable exactly when numeric.
func TestEveryConsumerHasEveryRow(t *testing.T) {
	starter, err := Starter(SourceEmbedded, "")
	if err != nil {
		t.Fatal(err)
	}
	base := train.DefaultConfig()
	for i := range Table {
		row := &Table[i]
		v := other(row, row.get(base))
		src := row.Section + ":\n  " + row.Key + ": " + yamlValue(v) + "\n"
		c, err := Parse(strings.NewReader(src), ParseOptions{File: "c.yaml"})
		if err != nil {
			t.Errorf("%s: %q does not parse: %v", row.Key, src, err)
			continue
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %q does not validate: %v", row.Key, src, err)
		}
		if got := row.get(c.Training); !reflect.DeepEqual(got, v) {
			t.Errorf("%s: parsed %v, want %v", row.Key, got, v)
		}
		if !regexpLine(starter, row.Key) {
			t.Errorf("%s: not in the starter config", row.Key)
		}
		var resolved map[string]json.RawMessage
		var section map[string]json.RawMessage
		b, err := c.Resolved()
		if err != nil || json.Unmarshal(b, &resolved) != nil || json.Unmarshal(resolved[row.Section], &section) != nil {
			t.Fatalf("resolved %s: %v", b, err)
		}
		if _, ok := section[row.Key]; !ok {
			t.Errorf("%s: not in the resolved config's %s section", row.Key, row.Section)
		}
		tc, err := c.TrainConfig(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := EncodeSettings(tc)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(enc, []byte(`"`+row.Key+`":`)) {
			t.Errorf("%s: not in the trial settings %s", row.Key, enc)
		}
		back, err := DecodeSettings(enc)
		if err != nil || back != tc {
			t.Errorf("%s: settings %s decode to %+v, %v", row.Key, enc, back, err)
		}
		// What report reads back (and shows in --format json).
		read, _, err := ReadSettings(enc)
		if err != nil || !reflect.DeepEqual(read[row.Key], v) {
			t.Errorf("%s: report reads %v from %s, want %v (%v)", row.Key, read[row.Key], enc, v, err)
		}
		space := "search:\n  stages:\n    - name: s\n      space: {" + row.Key + ": 3}\n"
		_, err = parseAndValidate(space)
		if row.Numeric() != (err == nil || !strings.Contains(err.Error(), "cannot be searched")) {
			t.Errorf("%s: numeric %v, in a space: %v", row.Key, row.Numeric(), err)
		}
		if !strings.Contains(Help(), "  "+row.Section+"."+row.Key+" ") {
			t.Errorf("%s: not in the help text", row.Key)
		}
		if row.Doc == "" || strings.Contains(row.Doc, "\n") {
			t.Errorf("%s: doc %q is not one line", row.Key, row.Doc)
		}
	}
}

func regexpLine(text []byte, key string) bool {
	for _, line := range strings.Split(string(text), "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "# ")
		if strings.HasPrefix(line, key+": ") {
			return true
		}
	}
	return false
}

// The rows' bounds are the ones train.Config.Validate enforces.
func TestTableBoundsAreTrains(t *testing.T) {
	valid := func(row *Setting, v any) bool {
		tc := train.DefaultConfig()
		tc.Schedule = train.ExpRange // so that gamma's bounds apply
		tc.EtaMin = 0                // so that eta_max may go down to its bound
		tc.StepSize = train.StepSize{Updates: 1}
		tc.Cycles, tc.RecordsPerCycle = 1, 1
		if row.Key == "schedule" {
			tc.EtaMin = 1e-5 // lr_range rises from eta_min, so needs it above 0
		}
		row.set(&tc, v)
		return tc.Validate(0) == nil
	}
	for i := range Table {
		row := &Table[i]
		var probes []struct {
			v    any
			want bool
		}
		add := func(v any, want bool) {
			probes = append(probes, struct {
				v    any
				want bool
			}{v, want})
		}
		switch row.Kind {
		case KindInt:
			add(int(row.Min), true)
			add(int(row.Min)-1, false)
			if row.Max > 0 {
				add(int(row.Max), true)
				add(int(row.Max)+1, false)
			}
		case KindFloat:
			add(row.Min, !row.MinOpen)
			add(row.Min+1e-9, true)
			add(row.Min-1e-9, false)
			if row.Max > 0 {
				add(row.Max, true)
				add(row.Max+1e-9, false)
			}
		case KindStepSize:
			add(train.StepSize{Updates: int(row.Min)}, true)
			add(train.StepSize{Updates: int(row.Min) - 1}, false)
			add(train.StepSize{Epochs: 1}, true)
		case KindEnum:
			for _, v := range row.Values {
				add(v, true)
			}
			add("nonesuch", false)
		}
		for _, p := range probes {
			if got := valid(row, p.v); got != p.want {
				t.Errorf("%s = %v: train says valid %v, the row's bounds %s say %v", row.Key, p.v, got, row.Bounds(), p.want)
			}
			if row.Condition == "" && row.inBounds(p.v) != p.want {
				t.Errorf("%s = %v: inBounds %v, want %v", row.Key, p.v, !p.want, p.want)
			}
		}
	}
}
