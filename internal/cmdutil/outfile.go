package cmdutil

import (
	"errors"
	"io"
	"io/fs"
	"os"

	"github.com/volact/volact/internal/atomicfile"
	"github.com/volact/volact/internal/termsafe"
)

// Stdout is the --out value that means standard output.
const Stdout = "-"

// CheckOutFile refuses an output path (flag names the flag in the
// message, e.g. "--out") that exists and is not a regular file: a
// symbolic link, a device such as /dev/null, a FIFO, a socket or a
// directory. The file is replaced atomically (a rename), which would
// replace such a node instead of writing through it, so it is refused
// (exit 3) before any work is done and nothing is touched. "-" (stdout),
// "" (none) and a path that does not exist yet pass.
func CheckOutFile(flag, path string) error {
	if path == "" || path == Stdout {
		return nil
	}
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return Invalidf("%s %s: %v", flag, termsafe.String(path), unwrapPath(err))
	case st.Mode()&fs.ModeSymlink != 0:
		return Invalidf("%s %s: is a symbolic link: refused (give the real path or '-' for stdout)", flag, termsafe.String(path))
	case !st.Mode().IsRegular():
		return Invalidf("%s %s: is %s, not a regular file: refused (use '-' for stdout)", flag, termsafe.String(path), kind(st.Mode()))
	}
	return nil
}

// WriteOutFile writes data to the output file path with perm, atomically
// (atomicfile.WriteFile: temp file, fsync, rename; nothing left behind on
// failure), after CheckOutFile; "-" writes data to stdout instead. A
// failure is exit 3 naming flag.
func WriteOutFile(stdout io.Writer, flag, path string, data []byte, perm os.FileMode) error {
	if path == Stdout {
		_, err := stdout.Write(data)
		return err
	}
	if err := CheckOutFile(flag, path); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, data, perm); err != nil {
		return Invalidf("%s %s: cannot write: %v", flag, termsafe.String(path), unwrapPath(err))
	}
	return nil
}

// kind names a non-regular file mode for a message.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// unwrapPath drops the path of a *fs.PathError: messages name it already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
