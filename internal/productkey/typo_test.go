package productkey

import (
	"math/rand/v2"
	"testing"

	"github.com/volact/volact/internal/hresult"
)

// randomFields returns valid fields drawn from r.
func randomFields(r *rand.Rand) Fields {
	f := Fields{
		Type:    Type(r.IntN(4)),
		Product: uint16(r.IntN(MaxProduct + 1)),
		Serial:  uint32(r.IntN(MaxSerial + 1)),
	}
	if f.Type == MAK {
		f.Activations = uint32(1 + r.IntN(MaxActivations))
	}
	return f
}

// TestEveryTypoIsDetected proves design §3's promise on 1,000 keys: every
// single-symbol substitution (25 positions x 23 other symbols) and every
// swap of two neighbouring, different symbols makes Parse fail.
func TestEveryTypoIsDetected(t *testing.T) {
	const keys = 1000
	r := rand.New(rand.NewPCG(2024, 3))
	wantMsg := "product key check symbols do not match: probably a typo"
	var substitutions, swaps int

	// check parses one mistyped key and insists on the check-symbol error.
	// The full wantInvalidKey runs once per key; it is too slow for all.
	check := func(orig Key, typo []byte, what string, full bool) {
		s := string(typo)
		if refValid(s) {
			t.Fatalf("%s of a key still passes the reference check", what)
		}
		_, err := Parse(s)
		if err == nil {
			t.Fatalf("%s of %s was accepted", what, orig.Redacted())
		}
		he, ok := err.(*hresult.Error)
		if full {
			he = wantInvalidKey(t, s, err)
		} else if !ok || he.Code != hresult.InvalidKey {
			t.Fatalf("%s: error %v, want code %v", what, err, hresult.InvalidKey)
		}
		if he.Msg != wantMsg {
			t.Fatalf("%s: error %q, want %q", what, he.Msg, wantMsg)
		}
	}

	for range keys {
		k := mustMint(t, randomFields(r))
		text := k.String()
		if ref := refKey(k.Fields, k.MAC); ref != text || !refValid(text) {
			t.Fatalf("Mint(%+v) disagrees with the reference encoder", k.Fields)
		}
		// pos maps symbol index i to its byte offset in the canonical text.
		pos := func(i int) int { return i + i/5 }
		buf := []byte(text)

		for i := range numSymbols {
			orig := buf[pos(i)]
			for j := range len(Alphabet) {
				if Alphabet[j] == orig {
					continue
				}
				buf[pos(i)] = Alphabet[j]
				check(k, buf, "a substitution", i == 0 && j < 2)
				substitutions++
			}
			buf[pos(i)] = orig
		}
		for i := range numSymbols - 1 {
			a, b := pos(i), pos(i+1)
			if buf[a] == buf[b] {
				continue // swapping equal symbols leaves the key as it was
			}
			buf[a], buf[b] = buf[b], buf[a]
			check(k, buf, "a swap", false)
			swaps++
			buf[a], buf[b] = buf[b], buf[a]
		}
	}
	if substitutions != keys*25*23 || swaps < keys*20 {
		t.Fatalf("tried %d substitutions and %d swaps, too few", substitutions, swaps)
	}
}
