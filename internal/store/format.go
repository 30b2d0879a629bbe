package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/volact/volact/internal/hresult"
)

// maxSize caps the state file; a bigger file is refused as damaged.
const maxSize = 16 << 20

// envelope is the file on disk. State stays raw so that the checksum is
// verified over the exact bytes that were written.
type envelope struct {
	Format    *int            `json:"format"`
	WrittenAt string          `json:"written_at"`
	SHA256    string          `json:"sha256"`
	State     json.RawMessage `json:"state"`
}

// badFile says what is wrong with a state file, without the path.
type badFile struct {
	what  string // completes "store PATH ..."
	cause error  // optional
	newer bool   // written by a newer volact
}

var errTooLarge = &badFile{what: "is larger than 16 MiB"}

func (e *badFile) Error() string {
	if e.cause != nil {
		return e.what + ": " + e.cause.Error()
	}
	return e.what
}

// encode renders v as a complete state file written at now. The state is
// indented for people who look at the file; the checksum covers exactly
// the bytes between "state": and the closing brace.
func encode(v any, now time.Time) ([]byte, error) {
	state, err := json.MarshalIndent(v, "  ", "  ")
	if err != nil {
		return nil, hresult.Wrap(hresult.Internal, err, "cannot encode the store state")
	}
	sum := sha256.Sum256(state)
	var b bytes.Buffer
	// The time and the hex sum are plain ASCII: %q quotes them as JSON does.
	fmt.Fprintf(&b, "{\n  \"format\": %d,\n  \"written_at\": %q,\n  \"sha256\": %q,\n  \"state\": ",
		FormatVersion, now.UTC().Format(time.RFC3339Nano), hex.EncodeToString(sum[:]))
	b.Write(state)
	b.WriteString("\n}\n")
	if b.Len() > maxSize {
		return nil, hresult.Newf(hresult.Internal,
			"the store state is too large (%d bytes, the limit is 16 MiB)", b.Len())
	}
	return b.Bytes(), nil
}

// decode checks a state file and decodes its state into v. It returns a
// *badFile for every kind of damage, and an Internal error when v is not a
// non-nil pointer.
func decode(data []byte, v any) error {
	if len(data) > maxSize {
		return errTooLarge
	}
	if len(bytes.TrimLeft(data, " \t\r\n")) == 0 {
		return &badFile{what: "is empty"}
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return &badFile{what: "is not valid JSON (truncated or damaged)", cause: err}
	}
	switch {
	case env.Format == nil:
		return &badFile{what: "has no format version"}
	case *env.Format > FormatVersion:
		return &badFile{what: fmt.Sprintf("format %d is newer than this volact understands (%d): upgrade volact",
			*env.Format, FormatVersion), newer: true}
	case *env.Format < OldestFormatVersion:
		return &badFile{what: fmt.Sprintf("format %d is unknown", *env.Format)}
	case len(env.State) == 0:
		return &badFile{what: "has no state"}
	}
	want, err := hex.DecodeString(env.SHA256)
	got := sha256.Sum256(env.State)
	if err != nil || !bytes.Equal(want, got[:]) {
		return &badFile{what: "checksum does not match: the file was edited or damaged"}
	}
	if err := json.Unmarshal(env.State, v); err != nil {
		var inv *json.InvalidUnmarshalError
		if errors.As(err, &inv) { // the caller's mistake, not the file's
			return hresult.Wrap(hresult.Internal, err, "cannot decode the store state")
		}
		return &badFile{what: "state does not have the expected shape", cause: err}
	}
	return nil
}

// read loads the state file into v. A missing file is exists=false.
func (s *Store) read(v any) (exists bool, err error) {
	f, err := os.Open(s.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, s.readErr(err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxSize {
		return false, s.tampered(errTooLarge) // do not read it all
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return false, s.readErr(err)
	}
	if err := decode(data, v); err != nil {
		var bad *badFile
		if errors.As(err, &bad) {
			return false, s.tampered(bad)
		}
		return false, err
	}
	return true, nil
}

// tampered turns a decode failure into the user-facing error.
func (s *Store) tampered(bad *badFile) error {
	hint := "the store was left as it is; restore it from backup or move it aside and reinstall the keys"
	if bad.newer {
		hint = "the store was left as it is; use the newer volact that wrote it"
	}
	e := hresult.New(hresult.StoreTampered, fmt.Sprintf("store %s %s", s.Path(), bad.what)).WithHint(hint)
	e.Err = bad.cause
	return e
}

func (s *Store) readErr(err error) error {
	return hresult.Wrap(hresult.Internal, err, fmt.Sprintf("cannot read store %s", s.Path())).
		WithExit(hresult.ExitStore).
		WithHint("check that the file is readable by this user, or choose another store with --store")
}
