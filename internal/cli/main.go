// Package cli implements the volact command line: the cobra commands, the
// configuration layers, and the rendering of human, JSON and ospp/slmgr text.
package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/volact/volact/internal/hresult"
)

// usageError marks a command-line mistake (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// Main runs volact with args (args[0] is the program name) and returns the
// exit status. It is the only place that prints an error.
func Main(args []string) int {
	return MainWith(NewFactory(System()), args)
}

// MainWith is Main with explicit dependencies, for tests.
func MainWith(f *Factory, args []string) int {
	legacyOnly := len(args) > 0 && isLegacyProgram(args[0])
	rest, err := translateArgs(args[1:], legacyOnly)
	if err != nil {
		f.Opts.JSON = wantsJSON(f, args[1:])
		return printError(f, &usageError{err})
	}
	root := NewRootCmd(f)
	root.SetArgs(rest)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	if _, err := root.ExecuteC(); err != nil {
		f.Opts.JSON = wantsJSON(f, args[1:])
		return printError(f, err)
	}
	return hresult.ExitOK
}

// wantsJSON reports whether --json (or VOLACT_JSON) was asked for, also
// when the command line failed before cobra parsed the flags, so that an
// error is printed as JSON whenever the caller expects JSON.
func wantsJSON(f *Factory, args []string) bool {
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

// errorJSON is the --json shape of a failure (design §8).
type errorJSON struct {
	Error struct {
		Code         string `json:"code"`
		Message      string `json:"message"`
		Hint         string `json:"hint,omitempty"`
		Exit         int    `json:"exit"`
		CurrentCount *int   `json:"current_count,omitempty"`
	} `json:"error"`
}

// printError prints err once (JSON on stdout with --json, else one line on
// stderr plus an optional hint) and returns the exit status.
func printError(f *Factory, err error) int {
	var e *hresult.Error
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		e = hresult.New(hresult.InvalidArg, ue.Error()).WithHint("run 'volact help' for usage")
	case errors.As(err, &e):
	case isCobraUsage(err):
		e = hresult.New(hresult.InvalidArg, err.Error()).WithHint("run 'volact help' for usage")
	default:
		e = hresult.From(err)
	}
	if errors.Is(err, errSilent) {
		return e.Exit
	}
	if f.Opts.JSON {
		var j errorJSON
		j.Error.Code, j.Error.Message, j.Error.Hint, j.Error.Exit = e.Code.String(), e.Error(), e.Hint, e.Exit
		if e.CurrentCount >= 0 {
			n := e.CurrentCount
			j.Error.CurrentCount = &n
		}
		writeJSON(f.IO.Out, j)
		return e.Exit
	}
	// -q silences output, not errors: the one line is always printed.
	fmt.Fprintf(f.IO.ErrOut, "volact: %s (%s)\n", e.Error(), e.Code)
	if e.Hint != "" {
		fmt.Fprintf(f.IO.ErrOut, "volact: hint: %s\n", e.Hint)
	}
	return e.Exit
}

// errSilent is joined to an error whose text the command already printed.
var errSilent = errors.New("already reported")

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

// writeJSON prints v as one indented JSON document.
func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
