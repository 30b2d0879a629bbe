package cmdutil

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"

	"github.com/volact/volact/internal/termsafe"
)

// IOStreams holds the command's input and output streams and decides, once,
// whether output is a terminal and whether colour is on.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	rawErrOut io.Writer // stderr unfiltered, for progress bars; nil = ErrOut

	stdoutTTY bool
	stderrTTY bool
	noColor   bool // --no-color or NO_COLOR
	// CRLF makes legacy (ospp/slmgr) text end lines with \r\n, as on Windows.
	CRLF bool
}

// System returns streams bound to the process's stdin, stdout and stderr.
// Out and ErrOut pass through termsafe.Writer: no control character from
// a name, a server's message or a catalog reaches the terminal raw (colour
// sequences and line ends pass).
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: termsafe.NewWriter(os.Stdout), ErrOut: termsafe.NewWriter(os.Stderr),
		rawErrOut: os.Stderr,
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
		noColor:   os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb",
		CRLF:      lineEndCRLF,
	}
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// TestStreams returns streams backed by buffers, not a terminal, colour off.
func TestStreams() (ios *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// ProgressOut is where progress bars draw: stderr without the control
// character filter, since a bar redraws its line with a lone \r. Only
// fixed text and counts may be written there, never names or messages.
func (s *IOStreams) ProgressOut() io.Writer {
	if s.rawErrOut != nil {
		return s.rawErrOut
	}
	return s.ErrOut
}

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// SetStdoutTTY overrides terminal detection (tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// IsStderrTTY reports whether stderr is a terminal (progress bars go there).
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStderrTTY overrides terminal detection of stderr (tests).
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// DisableColor turns colour off (--no-color).
func (s *IOStreams) DisableColor() { s.noColor = true }

// ColorEnabled reports whether output may use colour: only on a terminal,
// and never with NO_COLOR or --no-color.
func (s *IOStreams) ColorEnabled() bool { return s.stdoutTTY && !s.noColor }

// ColorScheme is the small palette the human output uses.
type ColorScheme struct {
	Green, Red, Yellow, Bold *color.Color
}

// ColorScheme returns colours that honour ColorEnabled regardless of
// fatih/color's global switch (which only looks at os.Stdout).
func (s *IOStreams) ColorScheme() *ColorScheme {
	mk := func(a ...color.Attribute) *color.Color {
		c := color.New(a...)
		if s.ColorEnabled() {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return &ColorScheme{
		Green: mk(color.FgGreen), Red: mk(color.FgRed),
		Yellow: mk(color.FgYellow), Bold: mk(color.Bold),
	}
}

// EOL is the line end of text output: \r\n with CRLF (Windows), else \n.
func (s *IOStreams) EOL() string {
	if s.CRLF {
		return "\r\n"
	}
	return "\n"
}

// Linef prints one formatted line on stdout with the platform's line end.
func (s *IOStreams) Linef(format string, args ...any) {
	fmt.Fprintf(s.Out, format, args...)
	io.WriteString(s.Out, s.EOL())
}
