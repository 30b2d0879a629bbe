package productkey

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/volact/volact/internal/hresult"
)

// hint is shown with every error about the shape of a key.
const hint = "check the key for typos; keys have 5 groups of 5 symbols"

// redactedPrefix replaces the first 20 symbols wherever a key is shown.
const redactedPrefix = "XXXXX-XXXXX-XXXXX-XXXXX-"

// invalid returns an InvalidKey error. Callers must never pass the key.
func invalid(format string, args ...any) *hresult.Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return hresult.New(hresult.InvalidKey, msg).WithHint(hint)
}

// isSeparator reports whether r may appear between symbols: white space,
// the hyphen-minus and the dashes that word processors substitute for it.
func isSeparator(r rune) bool {
	switch r {
	case '-',
		'\u2010', // hyphen
		'\u2011', // non-breaking hyphen
		'\u2012', // figure dash
		'\u2013', // en dash
		'\u2014', // em dash
		'\u2212', // minus sign
		'\uFF0D': // full-width hyphen-minus
		return true
	}
	return unicode.IsSpace(r)
}

// upper maps ASCII a-z to A-Z and leaves every other rune alone.
func upper(r rune) rune {
	if 'a' <= r && r <= 'z' {
		return r - 'a' + 'A'
	}
	return r
}

// scan reads the symbols of s, skipping separators anywhere. The error
// names the first rune that is not a key symbol, or the symbol count.
func scan(s string) (symbols, error) {
	var out symbols
	n := 0
	for i, r := range s {
		v := int8(-1)
		if u := upper(r); u < utf8.RuneSelf {
			v = symbolValue[u]
		}
		if v < 0 {
			if isSeparator(r) {
				continue
			}
			if r == utf8.RuneError {
				if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
					return out, invalid("product key contains a byte that is not UTF-8 text")
				}
			}
			return out, invalid("product key contains %q, which is not a key symbol (allowed: %s)", r, Alphabet)
		}
		if n < numSymbols {
			out[n] = byte(v)
		}
		n++
	}
	switch {
	case n == 0:
		return out, invalid("product key is empty")
	case n != numSymbols:
		return out, invalid("product key has %d symbols, want %d", n, numSymbols)
	}
	return out, nil
}

// text renders s in canonical form, XXXXX-XXXXX-XXXXX-XXXXX-XXXXX.
func (s *symbols) text() string {
	var b [numSymbols + 4]byte
	j := 0
	for i, v := range s {
		if i > 0 && i%5 == 0 {
			b[j] = '-'
			j++
		}
		b[j] = Alphabet[v]
		j++
	}
	return string(b[:])
}

// Normalize returns s in canonical form, XXXXX-XXXXX-XXXXX-XXXXX-XXXXX. It
// accepts any letter case, and spaces, hyphens and dashes anywhere as
// separators. It checks only length and alphabet, not the check symbols;
// use [Parse] for that. Errors are [hresult.InvalidKey] and never quote s.
func Normalize(s string) (string, error) {
	sym, err := scan(s)
	if err != nil {
		return "", err
	}
	return sym.text(), nil
}

// Redact returns a form of s that is safe to print or log:
// "XXXXX-XXXXX-XXXXX-XXXXX-" and the last 5 symbols when s looks like a key
// of at least 25 symbols ending in 5 key symbols, otherwise "XXXXX". Use it
// for input that may hold a key but did not parse.
func Redact(s string) string {
	var tail [5]rune // the last 5 non-separator runes, oldest first
	n := 0
	for _, r := range s {
		if isSeparator(r) {
			continue
		}
		copy(tail[:], tail[1:])
		tail[4] = upper(r)
		n++
	}
	if n < numSymbols {
		return "XXXXX"
	}
	var b [5]byte
	for i, r := range tail {
		if r >= utf8.RuneSelf || symbolValue[r] < 0 {
			return "XXXXX"
		}
		b[i] = byte(r)
	}
	return redactedPrefix + string(b[:])
}

// String returns the name used on the command line and in files.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

var typeNames = [...]string{Retail: "retail", MAK: "mak", KMSClient: "kms-client", KMSHost: "kms-host"}

// ParseType reads a key type name as printed by [Type.String], in any case;
// "kms_client", "kmsclient", "kms_host" and "kmshost" are accepted too.
func ParseType(s string) (Type, error) {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = utf8.AppendRune(b, upper(r))
	}
	switch string(b) {
	case "RETAIL":
		return Retail, nil
	case "MAK":
		return MAK, nil
	case "KMS-CLIENT", "KMS_CLIENT", "KMSCLIENT":
		return KMSClient, nil
	case "KMS-HOST", "KMS_HOST", "KMSHOST":
		return KMSHost, nil
	}
	return 0, hresult.Newf(hresult.InvalidArg, "unknown key type %q (want retail, mak, kms-client or kms-host)", s)
}

// MarshalText implements [encoding.TextMarshaler] with the names of String.
func (t Type) MarshalText() ([]byte, error) {
	if int(t) >= len(typeNames) {
		return nil, hresult.Newf(hresult.InvalidArg, "unknown key type %d", uint8(t))
	}
	return []byte(t.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler] with ParseType.
func (t *Type) UnmarshalText(b []byte) error {
	v, err := ParseType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
