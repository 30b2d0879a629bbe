package termsafe

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	for in, want := range map[string]string{
		"kms.example.com":       "kms.example.com",
		"Suite Pro – ünïcode ✓": "Suite Pro – ünïcode ✓",
		"\x1b]0;pwn\x07host":    `\x1b]0;pwn\x07host`,
		"a\nb\tc\rd":            `a\x0ab\x09c\x0dd`,
		"csi\u009b2J":           `csi\u009b2J`,
		"raw\x9b2J":             `raw\x9b2J`,
		"del\x7f":               `del\x7f`,
		"bidi\u202egnp.exe":     `bidi\u202egnp.exe`,
		"nul\x00":               `nul\x00`,
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
		if Safe(in) != (in == want) {
			t.Errorf("Safe(%q) = %v", in, Safe(in))
		}
	}
}

func TestWriter(t *testing.T) {
	for _, tc := range []struct {
		writes []string
		want   string
	}{
		{[]string{"plain\n", "tab\there\n"}, "plain\ntab\there\n"},
		{[]string{"line\r\n"}, "line\r\n"},
		{[]string{"line\r", "\n"}, "line\r\n"},
		{[]string{"over\r", "write"}, `over\x0dwrite`},
		{[]string{"mid\rdle\n"}, `mid\x0ddle` + "\n"},
		{[]string{"\x1b[32m", "ok", "\x1b[0m\n"}, "\x1b[32mok\x1b[0m\n"},
		{[]string{"\x1b[1;31mred\x1b[0m"}, "\x1b[1;31mred\x1b[0m"},
		{[]string{"title \x1b]0;pwn\x07 done\n"}, `title \x1b]0;pwn\x07 done` + "\n"},
		{[]string{"clear \x1b[2J\n"}, `clear \x1b[2J` + "\n"},
		{[]string{"cut \x1b[3"}, `cut \x1b[3`},
		{[]string{"c1 \u009b2J\n"}, `c1 \u009b2J` + "\n"},
	} {
		var out bytes.Buffer
		w := NewWriter(&out)
		for _, s := range tc.writes {
			if n, err := w.Write([]byte(s)); err != nil || n != len(s) {
				t.Fatalf("Write(%q) = %d, %v", s, n, err)
			}
		}
		if out.String() != tc.want {
			t.Errorf("writes %q -> %q, want %q", tc.writes, out.String(), tc.want)
		}
	}
}

// TestWriterKeepsJSONValid checks that JSON with every kind of control
// character in a string is still valid, and decodes to the same value
// except for C1 and bidi characters, after the filter.
func TestWriterKeepsJSONValid(t *testing.T) {
	in := map[string]string{"name": "a\x1b]0;x\x07\u009b\u202e\n\"b\"\x00ü"}
	data, _ := json.Marshal(in)
	var out bytes.Buffer
	_, _ = NewWriter(&out).Write(data)
	var back map[string]string
	if err := json.Unmarshal(out.Bytes(), &back); err != nil {
		t.Fatalf("filtered JSON %q does not parse: %v", out.String(), err)
	}
	if back["name"] != in["name"] {
		t.Fatalf("round trip %q, want %q", back["name"], in["name"])
	}
	if strings.ContainsAny(out.String(), "\x1b\x07\u009b\u202e") {
		t.Fatalf("raw control character in %q", out.String())
	}
}

// FuzzWriter checks that nothing but \t, \n, \r\n and SGR sequences leaves
// the filter, however the input is split into writes.
func FuzzWriter(f *testing.F) {
	f.Add("\x1b]0;pwn\x07host\r\n", 3)
	f.Add("\x1b[32mok\x1b[0m\r", 1)
	f.Add("a\u009b\x9bb", 2)
	f.Fuzz(func(t *testing.T, s string, cut int) {
		var out bytes.Buffer
		w := NewWriter(&out)
		if cut > 0 && cut < len(s) {
			_, _ = w.Write([]byte(s[:cut]))
			_, _ = w.Write([]byte(s[cut:]))
		} else {
			_, _ = w.Write([]byte(s))
		}
		o := out.String()
		for i := 0; i < len(o); i++ {
			switch c := o[i]; {
			case c == 0x1b:
				n := sgrLen(o[i:])
				if n == 0 {
					t.Fatalf("raw ESC at %d in %q", i, o)
				}
				i += n - 1
			case c == '\r':
				if i+1 >= len(o) || o[i+1] != '\n' {
					t.Fatalf("lone CR at %d in %q", i, o)
				}
			case c < 0x20 && c != '\n' && c != '\t', c == 0x7f:
				t.Fatalf("raw control %#x at %d in %q", c, i, o)
			}
		}
		if !Safe(strings.NewReplacer("\n", "", "\t", "", "\r", "").Replace(stripSGR(o))) {
			t.Fatalf("unsafe output %q", o)
		}
	})
}

func stripSGR(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if n := sgrLen(s[i:]); n > 0 {
			i += n - 1
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
