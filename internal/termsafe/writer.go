package termsafe

import (
	"io"
	"strings"
	"unicode/utf8"
)

// Writer filters what is written to w: text, newlines, tabs, a carriage
// return followed by a newline (\r\n, the Windows line end) and complete
// SGR colour sequences (ESC [ digits and ';' m, which the colour output
// writes whole in one Write) pass; every other control character is
// escaped as String escapes it. It is safe to wrap a stream that carries
// JSON: encoding/json already escapes C0 characters, and the \uNNNN form
// of C1 characters is valid inside a JSON string.
type Writer struct {
	w  io.Writer
	cr bool // the last Write ended with \r: kept until we see what follows
}

// NewWriter returns a Writer that filters into w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write filters p into the underlying writer. It reports len(p) written
// when the filtered text was written whole.
func (t *Writer) Write(p []byte) (int, error) {
	var b strings.Builder
	s := string(p)
	if t.cr {
		t.cr = false
		if strings.HasPrefix(s, "\n") {
			b.WriteString("\r")
		} else {
			b.WriteString(`\x0d`)
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\n' || c == '\t':
			b.WriteByte(c)
			i++
		case c == '\r':
			switch {
			case i+1 < len(s) && s[i+1] == '\n':
				b.WriteString("\r\n")
				i += 2
			case i+1 == len(s):
				t.cr = true // decided by the next Write
				i++
			default:
				b.WriteString(`\x0d`)
				i++
			}
		case c == 0x1b:
			if n := sgrLen(s[i:]); n > 0 {
				b.WriteString(s[i : i+n])
				i += n
				continue
			}
			b.WriteString(`\x1b`)
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			appendRune(&b, s[i:i+n], r, n)
			i += n
		}
	}
	if _, err := io.WriteString(t.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// sgrLen is the length of the SGR sequence (ESC [ [0-9;]* m) s starts
// with, or 0 when s does not start with one.
func sgrLen(s string) int {
	if len(s) < 3 || s[0] != 0x1b || s[1] != '[' {
		return 0
	}
	for i := 2; i < len(s) && i < 32; i++ {
		switch c := s[i]; {
		case c == 'm':
			return i + 1
		case c == ';' || '0' <= c && c <= '9':
		default:
			return 0
		}
	}
	return 0
}
