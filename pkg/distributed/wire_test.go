package distributed

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/sweep-ml/sweep/pkg/config"
	"github.com/sweep-ml/sweep/pkg/train"
)

// validSegment is a well-formed work message.
func validSegment(t testing.TB) []byte {
	t.Helper()
	tc := train.DefaultConfig()
	enc, err := config.EncodeTrial(config.Trial{Settings: tc, Data: "fp", Numerics: train.AlgorithmVersion})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(segmentMsg{Version: wireVersion, Sweep: "k", Name: "n", Trial: config.TrialID(enc),
		Encoded: string(enc), Data: dataRef{Source: "embedded", Fingerprint: "fp"}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// otherTrial is a work message of a trial of numerics version numerics,
// with extra spliced in at the start of its encoding, whose id is the
// hash of what it carries.
func otherTrial(t testing.TB, numerics int, extra string) []byte {
	t.Helper()
	enc, err := config.EncodeTrial(config.Trial{Settings: train.DefaultConfig(), Data: "fp", Numerics: numerics})
	if err != nil {
		t.Fatal(err)
	}
	enc = append([]byte("{"+extra), enc[1:]...)
	b, err := json.Marshal(segmentMsg{Version: wireVersion, Sweep: "k", Name: "n", Trial: config.TrialID(enc),
		Encoded: string(enc), Data: dataRef{Source: "embedded", Fingerprint: "fp"}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// otherVersion are the cases of TestDecodeSegment that a worker of
// another version may train: given back, never terminated.
var otherVersion = map[string]bool{"other version": true, "other numerics": true, "older numerics": true, "other encoding": true}

func TestDecodeSegment(t *testing.T) {
	good := validSegment(t)
	if _, _, err := decodeSegment(good); err != nil {
		t.Fatalf("a valid message: %v", err)
	}
	edit := func(f func(m *segmentMsg)) []byte {
		var m segmentMsg
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(&m)
		b, _ := json.Marshal(m)
		return b
	}
	for name, b := range map[string][]byte{
		"not json":         []byte("{"),
		"other version":    edit(func(m *segmentMsg) { m.Version = wireVersion + 1 }),
		"wrong id":         edit(func(m *segmentMsg) { m.Trial = "000000000000000000000000" }),
		"other data":       edit(func(m *segmentMsg) { m.Data.Fingerprint = "other" }),
		"not canonical":    edit(func(m *segmentMsg) { m.Encoded = m.Encoded[:len(m.Encoded)-1] + " }" }),
		"negative ck":      edit(func(m *segmentMsg) { m.CheckpointEvery = -1 }),
		"too large":        make([]byte, maxMessage+1),
		"empty encoding":   edit(func(m *segmentMsg) { m.Encoded = "" }),
		"path as dir":      edit(func(m *segmentMsg) { m.Data.Dir = "../etc" }),
		"dot dot dir":      edit(func(m *segmentMsg) { m.Data.Dir = ".." }),
		"path as file":     edit(func(m *segmentMsg) { m.Data.Train = []string{"/etc/passwd"} }),
		"backslash file":   edit(func(m *segmentMsg) { m.Data.Test = []string{`..\x`} }),
		"unknown settings": edit(func(m *segmentMsg) { m.Encoded = `{"algorithm_version":1,"data":"fp","training":{"x":1}}` }),
		"other numerics":   otherTrial(t, train.AlgorithmVersion+1, ""),
		"older numerics":   otherTrial(t, train.AlgorithmVersion-1, ""),
		"other encoding":   otherTrial(t, train.AlgorithmVersion, `"encoding":2,`),
		"encoding zero":    otherTrial(t, train.AlgorithmVersion, `"encoding":0,`),
		"encoding string":  otherTrial(t, train.AlgorithmVersion, `"encoding":"2",`),
	} {
		_, _, err := decodeSegment(b)
		if !errors.Is(err, errProtocol) {
			t.Errorf("%s: error %v, want errProtocol", name, err)
		}
		if errors.Is(err, errOtherVersion) != otherVersion[name] {
			t.Errorf("%s: error %v: only another version may be given back rather than terminated", name, err)
		}
	}
}

// No work message makes decodeSegment panic, and an accepted one names
// exactly the trial its encoding hashes to and only plain file names.
func FuzzDecodeSegment(f *testing.F) {
	f.Add(validSegment(f))
	f.Add([]byte(`{"v":2,"trial":"x","encoded":"{}"}`))
	f.Add(otherTrial(f, train.AlgorithmVersion+1, ""))
	f.Add(otherTrial(f, train.AlgorithmVersion, `"encoding":2,`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, tr, err := decodeSegment(b)
		if err != nil {
			return
		}
		for _, n := range append(append(append([]string{m.Data.Dir}, m.Data.Train...), m.Data.Test...), m.Data.ValFiles...) {
			if n != filepath.Base(n) && n != "" || n == ".." {
				t.Fatalf("accepted %q with the data name %q, a path", b, n)
			}
		}
		if tr.Numerics != train.AlgorithmVersion || trialEncoding(m.Encoded) != config.TrialEncoding {
			t.Fatalf("accepted %q: numerics version %d, encoding version %d", b, tr.Numerics, trialEncoding(m.Encoded))
		}
		enc, err := config.EncodeTrial(tr)
		if err != nil || config.TrialID(enc) != m.Trial || tr.Data != m.Data.Fingerprint {
			t.Fatalf("accepted %q: trial %s, re-encoded %s (%v)", b, m.Trial, enc, err)
		}
	})
}
