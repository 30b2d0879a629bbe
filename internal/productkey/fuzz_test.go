package productkey

import (
	"strings"
	"testing"

	"github.com/volact/volact/internal/hresult"
)

// FuzzParse checks that Parse never panics, that every error is an
// InvalidKey error, and that an accepted key survives a round trip.
func FuzzParse(f *testing.F) {
	f.Add(goldenKey)
	f.Add(strings.ToLower(strings.ReplaceAll(goldenKey, "-", "\u2013")))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := Parse(s)
		if err != nil {
			if code := hresult.CodeOf(err); code != hresult.InvalidKey {
				t.Fatalf("Parse error code %v, want %v", code, hresult.InvalidKey)
			}
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("error %q is not one line", msg)
			}
			return
		}
		again, err := Parse(k.String())
		if err != nil || again != k {
			t.Fatalf("Parse(k.String()) = %+v, %v; want %+v", again.Fields, err, k.Fields)
		}
		n, err := Normalize(s)
		if err != nil || n != k.String() {
			t.Fatalf("Normalize disagrees with Parse: %v", err)
		}
		if n2, err := Normalize(n); err != nil || n2 != n {
			t.Fatalf("Normalize is not idempotent: %v", err)
		}
		if Redact(s) != k.Redacted() {
			t.Fatalf("Redact(s) = %q, want %q", Redact(s), k.Redacted())
		}
	})
}

func BenchmarkParse(b *testing.B) {
	in := strings.ToLower(goldenKey)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}
