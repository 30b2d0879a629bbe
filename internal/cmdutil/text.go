package cmdutil

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/volact/volact/internal/protocol"
)

// EmitText prints one line of proxy text after label (unless quiet or
// --json) and writes the text to file too when one is given (WriteOutFile:
// a regular file, replaced atomically; a link, device or FIFO is refused).
// File "-" is stdout, where the text is printed anyway.
func EmitText(f *Factory, label, text, file string, perm os.FileMode, what string) error {
	if file != Stdout { // "-": the text is printed below anyway
		if err := WriteTextFile(f, file, text, perm); err != nil {
			return err
		}
	}
	switch {
	case f.Opts.JSON:
		WriteJSON(f.IO.Out, map[string]string{strings.ReplaceAll(what, " ", "_"): text})
	case !f.Opts.Quiet:
		f.IO.Linef("%s%s", label, text)
	}
	return nil
}

// WriteTextFile writes one line of proxy text to the --out file (see
// WriteOutFile: a regular file replaced atomically with perm, "-" for
// stdout; a link, device or FIFO is refused); "" writes nothing.
func WriteTextFile(f *Factory, file, text string, perm os.FileMode) error {
	if file == "" {
		return nil
	}
	return WriteOutFile(f.IO.Out, "--out", file, []byte(text+"\n"), perm)
}

// TextOrFile returns arg when it is proxy text with prefix, else the
// content of the file arg names ("-" = stdin). The argument is never
// echoed: it may hold a key.
func TextOrFile(f *Factory, arg, prefix string) (string, error) {
	if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(arg)), prefix) {
		return arg, nil
	}
	var data []byte
	var err error
	if arg == "-" {
		data, err = io.ReadAll(io.LimitReader(f.IO.In, protocol.MaxTextSize*2))
	} else {
		var fi os.FileInfo
		if fi, err = os.Stat(arg); err == nil && fi.Size() > protocol.MaxTextSize*2 {
			return "", Invalidf("the file is too large for %s... text", prefix)
		}
		data, err = os.ReadFile(arg)
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", Invalidf("the argument is neither %s... text nor a readable file (%v)", prefix, err)
	}
	return string(data), nil
}
