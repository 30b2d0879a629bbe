package productkey

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/volact/volact/internal/hresult"
)

// testSecret is the minting secret of every key in these tests.
var testSecret = []byte("seed-secret")

// goldenFields minted with testSecret give goldenKey. The value pins the
// key format: if it changes, every key in the field stops parsing.
var goldenFields = Fields{Version: 1, Type: MAK, Product: 7, Activations: 500, Serial: 42}

const goldenKey = "D236F-64CRW-4HDJQ-RM2V3-VQQRB"

func mustMint(t testing.TB, f Fields) Key {
	t.Helper()
	k, err := Mint(f, testSecret)
	if err != nil {
		t.Fatalf("Mint(%+v): %v", f, err)
	}
	return k
}

// refKey is an independent encoder written straight from the format
// description with math/big: pack the fields, write 23 base-24 digits,
// then T = -sum(w_i*v_i) mod 571, c1 = T/24, c2 = T%24. It does not check
// ranges, so tests can build keys that Parse must refuse.
func refKey(f Fields, mac uint64) string {
	p := new(big.Int)
	for _, field := range []struct {
		v    uint64
		bits uint
	}{
		{uint64(f.Version), 3}, {uint64(f.Type), 2}, {uint64(f.Product), 10},
		{uint64(f.Activations), 20}, {uint64(f.Serial), 28}, {mac, 42},
	} {
		p.Lsh(p, field.bits)
		p.Or(p, new(big.Int).SetUint64(field.v&(1<<field.bits-1)))
	}
	vals := make([]int, 23)
	r := new(big.Int)
	for i := 22; i >= 0; i-- {
		p.DivMod(p, big.NewInt(24), r)
		vals[i] = int(r.Int64())
	}
	return refWithCheck(vals)
}

// refWithCheck appends the check symbols to 23 payload values and returns
// the canonical text.
func refWithCheck(vals []int) string {
	sum := 0
	for i, v := range vals {
		sum += (i + 1) * v
	}
	t := ((-sum)%571 + 571) % 571
	vals = append(vals[:23:23], t/24, t%24)
	var b strings.Builder
	for i, v := range vals {
		if i > 0 && i%5 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(Alphabet[v])
	}
	return b.String()
}

// refValue maps a key symbol to its value, other bytes to -1.
var refValue = func() (t [256]int) {
	for i := range t {
		t[i] = strings.IndexByte(Alphabet, byte(i))
	}
	return t
}()

// refValid checks the check symbols of a canonical key as the format
// description states.
func refValid(key string) bool {
	sum, i := 0, 0
	for j := 0; j < len(key); j++ {
		if key[j] == '-' {
			continue
		}
		w := i + 1
		switch i {
		case 23:
			w = 24
		case 24:
			w = 1
		}
		sum += w * refValue[key[j]]
		i++
	}
	return sum%571 == 0
}

// wantInvalidKey fails unless err is an *hresult.Error with code
// InvalidKey, exit status 3, a hint and a one-line message that does not
// contain key material from input.
func wantInvalidKey(t *testing.T, input string, err error) *hresult.Error {
	t.Helper()
	var he *hresult.Error
	if !errors.As(err, &he) {
		t.Fatalf("error %v (%T) is not an *hresult.Error", err, err)
	}
	if he.Code != hresult.InvalidKey || he.Exit != hresult.ExitInvalid {
		t.Errorf("code %v exit %d, want %v exit %d", he.Code, he.Exit, hresult.InvalidKey, hresult.ExitInvalid)
	}
	if he.Hint == "" {
		t.Error("no hint")
	}
	if strings.ContainsAny(he.Msg, "\r\n") || he.Msg == "" {
		t.Errorf("message %q is not one line", he.Msg)
	}
	leaksKey(t, input, he.Msg)
	return he
}

// leaksKey fails if out contains any 5 consecutive symbols of in (ignoring
// separators and case), except runs that occur in Alphabet itself, which
// error messages quote.
func leaksKey(t *testing.T, in, out string) {
	t.Helper()
	var syms []rune
	for _, r := range strings.ToUpper(in) {
		if strings.ContainsRune(Alphabet, r) {
			syms = append(syms, r)
		}
	}
	upperOut := strings.ToUpper(out)
	for i := 0; i+5 <= len(syms); i++ {
		run := string(syms[i : i+5])
		if !strings.Contains(Alphabet, run) && strings.Contains(upperOut, run) {
			t.Errorf("output %q contains %q from the input", out, run)
		}
	}
}
