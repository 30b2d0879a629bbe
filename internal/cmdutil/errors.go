// Package cmdutil holds what the volact and volactd command lines share:
// the dependencies a command gets (Factory), the streams, the configuration
// layers, the one place that prints an error, JSON and table output, and the
// shell verbs (completion, version, man).
package cmdutil

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/termsafe"
)

// UsageError marks a command-line mistake (exit 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a usage error (exit 2) with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// Invalidf returns an invalid-argument error with exit status 3.
func Invalidf(format string, args ...any) *hresult.Error {
	return hresult.New(hresult.InvalidArg, fmt.Sprintf(format, args...)).WithExit(hresult.ExitInvalid)
}

// ErrSilent is joined to an error whose text the command already printed.
var ErrSilent = errors.New("already reported")

// Execute runs root with args (without the program name) and returns the
// exit status. It is the only place that prints an error. rawArgs are the
// arguments as given, to decide whether an error is printed as JSON.
func Execute(f *Factory, root *cobra.Command, args, rawArgs []string) int {
	root.SetArgs(args)
	guardGroups(root)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	if _, err := root.ExecuteC(); err != nil {
		f.Opts.JSON = WantsJSON(f, rawArgs)
		return PrintError(f, err)
	}
	return hresult.ExitOK
}

// WantsJSON reports whether --json (or VOLACT_JSON) was asked for, also
// when the command line failed before cobra parsed the flags, so that an
// error is printed as JSON whenever the caller expects JSON.
func WantsJSON(f *Factory, args []string) bool {
	if f.Opts.JSON {
		return true
	}
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--json" {
			return true
		}
		if v, ok := strings.CutPrefix(a, "--json="); ok {
			b, err := strconv.ParseBool(v)
			return err == nil && b
		}
	}
	b, err := strconv.ParseBool(f.Getenv("VOLACT_JSON"))
	return err == nil && b
}

// ErrorJSON is the --json shape of a failure (design §8), the value of the
// "error" member of an error document.
type ErrorJSON struct {
	Code         string `json:"code"`
	Message      string `json:"message"`
	Hint         string `json:"hint,omitempty"`
	Exit         int    `json:"exit"`
	CurrentCount *int   `json:"current_count,omitempty"`
}

// errorDoc is the document printed for a failure: {"error":{...}}.
type errorDoc struct {
	Error ErrorJSON `json:"error"`
}

// PrintError prints err once (JSON on stdout with --json, else one line on
// stderr plus an optional hint) and returns the exit status.
func PrintError(f *Factory, err error) int {
	prog := f.Program()
	var e *hresult.Error
	var ue *UsageError
	switch {
	case errors.As(err, &ue):
		e = hresult.New(hresult.InvalidArg, ue.Error()).WithHint("run '" + prog + " help' for usage")
	case errors.As(err, &e):
	case isCobraUsage(err):
		e = hresult.New(hresult.InvalidArg, err.Error()).WithHint("run '" + prog + " help' for usage")
	default:
		e = hresult.From(err)
	}
	if errors.Is(err, ErrSilent) {
		return e.Exit
	}
	if f.Opts.JSON {
		WriteJSON(f.IO.Out, ErrorObject(e))
		return e.Exit
	}
	// -q silences output, not errors: the one line is always printed.
	// The message may echo input or a server's words: escaped, it stays
	// one line and sends no control character to the terminal.
	fmt.Fprintf(f.IO.ErrOut, "%s: %s (%s)\n", prog, termsafe.String(e.Error()), e.Code)
	if e.Hint != "" {
		fmt.Fprintf(f.IO.ErrOut, "%s: hint: %s\n", prog, termsafe.String(e.Hint))
	}
	return e.Exit
}

// ErrorObject is the JSON object of a failure: code, message, hint, exit
// and, for a count too low, the host's current count.
func ErrorObject(e *hresult.Error) any {
	return errorDoc{Error: ErrorBody(e)}
}

// ErrorBody is the "error" member of ErrorObject, for a document that
// carries an error next to partial results (act --json).
func ErrorBody(e *hresult.Error) ErrorJSON {
	j := ErrorJSON{Code: e.Code.String(), Message: e.Error(), Hint: e.Hint, Exit: e.Exit}
	if e.CurrentCount >= 0 {
		n := e.CurrentCount
		j.CurrentCount = &n
	}
	return j
}

// isCobraUsage recognises cobra's argument and flag errors.
func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "requires at most", "invalid argument", "flag needs an argument", "required flag", "if any flags in the group"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// WriteJSON prints v as one indented JSON document.
func WriteJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// Args returns a cobra.PositionalArgs that reports a wrong count as a usage
// error (exit 2).
func Args(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if len(a) < min || (max >= 0 && len(a) > max) {
			want := fmt.Sprintf("%d", min)
			switch {
			case max < 0:
				want = fmt.Sprintf("at least %d", min)
			case max != min:
				want = fmt.Sprintf("%d to %d", min, max)
			}
			return Usagef("%s takes %s argument(s), got %d: usage: %s", cmd.Name(), want, len(a), cmd.UseLine())
		}
		return nil
	}
}

// Emit prints a server verb's result: v as one JSON document with --json,
// nothing with -q, else what human prints (a table, lines of text).
func Emit(f *Factory, v any, human func() error) error {
	switch {
	case f.Opts.JSON:
		WriteJSON(f.IO.Out, v)
		return nil
	case f.Opts.Quiet:
		return nil
	}
	return human()
}
