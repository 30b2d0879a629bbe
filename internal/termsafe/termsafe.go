// Package termsafe keeps control characters from reaching a terminal.
// Names, messages from servers, catalog product names and error messages
// that echo input can carry escape sequences (ESC ] 0 ; title BEL, ESC [ 2 J,
// an 8-bit CSI); printed raw they retitle, clear or reprogram the user's
// terminal. String escapes one field for a single line; Writer filters a
// whole output stream at the boundary.
//
// Escapes: C0 bytes and DEL as \xNN (\x1b for ESC), C1 controls and the
// Unicode bidirectional overrides as \uNNNN (valid inside JSON strings
// too), bytes that are not UTF-8 as \xNN.
package termsafe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// String returns s with every control character escaped, newlines, tabs
// and carriage returns included, so that it prints as one line and moves
// nothing on the terminal. A string without any comes back as it is.
func String(s string) string {
	if Safe(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		appendRune(&b, s[i:i+n], r, n)
		i += n
	}
	return b.String()
}

// Safe reports whether s holds no character String would escape.
func Safe(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if escapedRune(r, n) {
			return false
		}
		i += n
	}
	return true
}

// escapedRune reports whether a multi-byte rune (or an invalid byte,
// r == RuneError with n == 1) must be escaped.
func escapedRune(r rune, n int) bool {
	switch {
	case r == utf8.RuneError && n == 1:
		return true
	case r >= 0x80 && r <= 0x9f: // C1: 0x9b is CSI on 8-bit terminals
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi overrides
		return true
	}
	return false
}

// appendRune writes the rune r (raw bytes raw, n long) to b, escaped when
// it is a control character.
func appendRune(b *strings.Builder, raw string, r rune, n int) {
	switch {
	case n == 1 && r < utf8.RuneSelf && (r < 0x20 || r == 0x7f):
		fmt.Fprintf(b, `\x%02x`, r)
	case n == 1 && r == utf8.RuneError && raw[0] >= utf8.RuneSelf:
		fmt.Fprintf(b, `\x%02x`, raw[0])
	case escapedRune(r, n):
		fmt.Fprintf(b, `\u%04x`, r)
	default:
		b.WriteString(raw)
	}
}
