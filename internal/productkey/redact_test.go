package productkey

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestRedactedShowsOnlyLast5(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for range 200 {
		k := mustMint(t, randomFields(r))
		full := k.String()
		want := "XXXXX-XXXXX-XXXXX-XXXXX-" + full[24:]
		if k.Last5() != full[24:] {
			t.Fatalf("Last5() = %q, want %q", k.Last5(), full[24:])
		}
		printed := map[string]string{
			"Redacted":      k.Redacted(),
			"Redact":        Redact(full),
			"Redact(lower)": Redact(strings.ToLower(strings.ReplaceAll(full, "-", "\u2013"))),
			"%v":            fmt.Sprintf("%v", k),
			"%s":            fmt.Sprintf("%s", k),
			"%+v":           fmt.Sprintf("%+v", k),
			"%#v":           fmt.Sprintf("%#v", k),
			"Sprint":        fmt.Sprint(k),
		}
		for how, got := range printed {
			if got != want {
				t.Fatalf("%s = %q, want %q", how, got, want)
			}
		}
		// A key inside a struct is redacted too.
		if got := fmt.Sprintf("%+v", struct{ K Key }{k}); got != "{K:"+want+"}" {
			t.Fatalf("key in a struct printed as %q", got)
		}
	}
	if (Key{}).Redacted() != "XXXXX" || (Key{}).Last5() != "" || (Key{}).String() != "" {
		t.Error("the zero Key does not print as XXXXX")
	}
}

// TestRedactNeverShowsFirst20 builds key-like strings whose first 20
// symbols come from one half of the alphabet and whose last 5 come from the
// other half, mangles them the ways users do, and checks that Redact never
// shows a symbol of the first half.
func TestRedactNeverShowsFirst20(t *testing.T) {
	const first, last = "BCDFGHJKMPQR", "TVWXY2346789" // X is in last: the prefix uses it
	r := rand.New(rand.NewPCG(1, 1))
	pick := func(from string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = from[r.IntN(len(from))]
		}
		return string(b)
	}
	group := func(s string) string { // XXXXX-XXXXX-... for any length
		var parts []string
		for len(s) > 5 {
			parts, s = append(parts, s[:5]), s[5:]
		}
		return strings.Join(append(parts, s), "-")
	}
	for range 500 {
		head, tail := pick(first, 20), pick(last, 5)
		key := head + tail
		i := r.IntN(25)
		cases := map[string]string{
			"canonical":          group(key),
			"lower case":         strings.ToLower(group(key)),
			"em dashes":          strings.ReplaceAll(group(key), "-", "\u2014"),
			"with a label":       "key: " + group(key),
			"a symbol dropped":   group(key[:i] + key[i+1:]),
			"a symbol added":     group(key[:i] + pick(last, 1) + key[i:]),
			"a symbol mistyped":  group(key[:i] + "O" + key[i+1:]),
			"truncated":          group(key[:i]),
			"first 20 only":      group(head),
			"key then junk":      group(key) + " and more",
			"two keys":           group(key) + " " + group(key),
			"unicode in the key": group(key[:i] + "é" + key[i+1:]),
		}
		for name, in := range cases {
			got := Redact(in)
			shown := strings.TrimPrefix(got, "XXXXX-XXXXX-XXXXX-XXXXX-")
			if got != "XXXXX" && (shown == got || len(shown) != 5) {
				t.Fatalf("%s: Redact = %q, want XXXXX or the prefix and 5 symbols", name, got)
			}
			if strings.ContainsAny(shown, first) {
				t.Fatalf("%s: Redact = %q shows one of the first 20 symbols", name, got)
			}
		}
		if got := Redact(group(key)); got != "XXXXX-XXXXX-XXXXX-XXXXX-"+tail {
			t.Fatalf("Redact(key) = %q, want the last 5 symbols %s", got, tail)
		}
	}
	for _, in := range []string{"", "   ", "hello", "BCDFG", strings.Repeat("A", 40)} {
		if got := Redact(in); got != "XXXXX" {
			t.Errorf("Redact(%q) = %q, want XXXXX", in, got)
		}
	}
}
