package store

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/volact/volact/internal/hresult"
)

// TestCorruptStore checks that every kind of damaged store is reported as
// tampered (0xC004D301, exit 7), that Update never calls fn, and that the
// file is left byte for byte as it was.
func TestCorruptStore(t *testing.T) {
	valid := func() []byte {
		s := newTestStore(t)
		put(t, s, &testState{Counter: 7, IDs: []string{"a"}})
		return readBytes(t, s)
	}()
	wrongShape := func() []byte {
		s := newTestStore(t)
		put(t, s, map[string]any{"counter": "seven"})
		return readBytes(t, s)
	}()
	replace := func(re, with string) []byte {
		out := regexp.MustCompile(re).ReplaceAll(valid, []byte(with))
		if bytes.Equal(out, valid) {
			t.Fatalf("pattern %q does not occur in the test store", re)
		}
		return out
	}
	lastBrace := bytes.LastIndexByte(valid, '}')

	const (
		invalid = "is not valid JSON (truncated or damaged)"
		edited  = "checksum does not match: the file was edited or damaged"
	)
	cases := []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", []byte{}, "is empty"},
		{"blank", []byte(" \n"), "is empty"},
		{"cut after 1 byte", valid[:1], invalid},
		{"cut after 20 bytes", valid[:20], invalid},
		{"cut in half", valid[:len(valid)/2], invalid},
		{"cut before last brace", valid[:lastBrace], invalid},
		{"garbage", []byte("\x00\x01\xffnot json at all"), invalid},
		{"trailing garbage", append(bytes.Clone(valid), "x"...), invalid},
		{"edited value, stale checksum", replace(`"counter": 7`, `"counter": 8`), edited},
		{"checksum not hex", replace(`"sha256": "[0-9a-f]+"`, `"sha256": "zz"`), edited},
		{"no checksum", replace(`"sha256": "[0-9a-f]+",`, ``), edited},
		{"future format", replace(`"format": 2`, `"format": 3`),
			"format 3 is newer than this volact understands (2): upgrade volact"},
		{"format zero", replace(`"format": 2`, `"format": 0`), "format 0 is unknown"},
		{"no format", replace(`"format": 2,`, ``), "has no format version"},
		{"no state", replace(`(?s),\s*"state": .*\}\s*\}`, `}`), "has no state"},
		{"not an object", []byte(`[1, 2, 3]`), invalid},
		{"wrong state shape", wrongShape, "state does not have the expected shape"},
		{"larger than 16 MiB", append(bytes.Clone(valid), strings.Repeat(" ", maxSize)...),
			"is larger than 16 MiB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStore(t)
			if err := os.WriteFile(s.Path(), tc.data, 0o600); err != nil {
				t.Fatal(err)
			}

			_, err := s.View(&testState{})
			he := wantHR(t, err, hresult.StoreTampered, hresult.ExitStore, "store "+s.Path()+" "+tc.msg)
			if !strings.Contains(he.Hint, "the store was left as it is") {
				t.Errorf("hint %q does not say the store was left alone", he.Hint)
			}

			called := false
			err = s.Update(&testState{}, func(bool) error { called = true; return nil })
			wantHR(t, err, hresult.StoreTampered, hresult.ExitStore, tc.msg)
			if called {
				t.Error("Update called fn on a damaged store")
			}
			if after, _ := os.ReadFile(s.Path()); !bytes.Equal(after, tc.data) {
				t.Error("the damaged store was changed")
			}
		})
	}
}
