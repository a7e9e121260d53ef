package config

import (
	"bytes"
	"testing"
)

// Every starter config parses and validates as written, with three stages.
func TestStarterConfigsAreValid(t *testing.T) {
	for _, source := range []string{SourceEmbedded, SourceIDX, SourceCIFAR10} {
		raw, err := Starter(source, "")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := Parse(bytes.NewReader(raw), ParseOptions{File: source + ".yaml", BaseDir: t.TempDir()})
		if err != nil {
			t.Fatalf("%s: %v", source, err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s: %v", source, err)
		}
		if cfg.Data.Source != source || len(cfg.Search.Stages) != 3 || cfg.Search.Stages[2].Best != 1 {
			t.Fatalf("%s: parsed as source %q with %d stages", source, cfg.Data.Source, len(cfg.Search.Stages))
		}
	}
	if _, err := Starter("mnist", ""); err == nil {
		t.Fatal("Starter accepted an unknown source")
	}
}
