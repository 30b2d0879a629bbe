// Package store keeps the client's state on disk: one JSON document,
// written atomically under an inter-process lock, versioned and checked
// with a SHA-256 checksum.
//
// The package is generic: it stores any JSON-serialisable value and does
// not know what that value means. A store that is damaged, edited or
// written by a newer volact is reported and never rewritten.
package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"

	"github.com/volact/volact/internal/hresult"
)

// FormatVersion is the version of the file format this volact writes. A
// file with a higher version is refused, not rewritten: an older volact
// would drop the fields it does not know.
//
// Versions: 1, the first; 2, from when the client records the hardware
// sources of each grant (a format-1 state is a valid format-2 state
// without them). Files of versions OldestFormatVersion..FormatVersion are
// read as they are and written back as FormatVersion on the next update.
const FormatVersion = 2

// OldestFormatVersion is the oldest file format this volact reads.
const OldestFormatVersion = 1

const (
	stateName   = "state.json"
	lockName    = "state.lock"
	lockPoll    = 10 * time.Millisecond
	defaultWait = 10 * time.Second
)

// Store is the state file in directory Dir (Dir/state.json, locked through
// Dir/state.lock). The zero LockTimeout means 10s; a nil Now means
// time.Now. A Store is safe for concurrent use by goroutines and processes.
type Store struct {
	Dir         string           // directory holding state.json and state.lock
	LockTimeout time.Duration    // how long Update and Reset wait for the lock; 0 = 10s
	Now         func() time.Time // clock for the written_at field; nil = time.Now
}

// New returns a Store in dir with the default lock timeout.
func New(dir string) *Store { return &Store{Dir: dir} }

// Path is the state file, Dir/state.json.
func (s *Store) Path() string { return filepath.Join(s.Dir, stateName) }

// View reads the state into v without taking the lock: writes are atomic
// renames, so a reader sees the old or the new state. A missing file gives
// exists=false, leaves v untouched and returns no error.
func (s *Store) View(v any) (exists bool, err error) {
	return s.read(v)
}

// Update takes the inter-process lock, reads the current state into v and
// calls fn with whether a state existed. If fn returns nil, v is written
// atomically; if fn fails nothing is written and fn's error is returned.
// A damaged store fails before fn runs and is left as it is. Update creates
// Dir (mode 0700) if it is missing.
func (s *Store) Update(v any, fn func(exists bool) error) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return s.writeErr(err)
	}
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()

	exists, err := s.read(v)
	if err != nil {
		return err
	}
	if err := fn(exists); errors.Is(err, ErrUnchanged) {
		return nil
	} else if err != nil {
		return err
	}
	data, err := encode(v, s.now())
	if err != nil {
		return err
	}
	if err := writeAtomic(s.Path(), data); err != nil {
		return s.writeErr(err)
	}
	removeTemps(s.Dir)
	return nil
}

// ErrUnchanged, returned by the function given to Update, means that
// nothing worth writing changed: Update then leaves the file as it is and
// returns nil.
var ErrUnchanged = errors.New("store: nothing to write")

// Reset removes the state file under the lock. It is for an explicit admin
// reset only; volact never calls it on its own. A missing store is not an
// error.
func (s *Store) Reset() error {
	if _, err := os.Stat(s.Dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.Remove(s.Path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return s.writeErr(err)
	}
	removeTemps(s.Dir)
	return nil
}

// lock takes Dir/state.lock, polling until LockTimeout.
func (s *Store) lock() (unlock func(), err error) {
	wait := s.LockTimeout
	if wait <= 0 {
		wait = defaultWait
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	path := filepath.Join(s.Dir, lockName)
	if st, err := os.Lstat(path); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		return nil, s.lockLinkErr(path)
	}
	fl := flock.New(path, flock.SetFlag(lockOpenFlag))
	ok, err := fl.TryLockContext(ctx, lockPoll)
	if ok {
		return func() { _ = fl.Unlock() }, nil
	}
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		return nil, hresult.Newf(hresult.StoreLocked,
			"store %s is locked by another volact process (waited %s)", s.Dir, wait).
			WithHint("retry when the other volact process has finished; if none is running, check who holds " + fl.Path())
	}
	if isLinkErr(err) {
		return nil, s.lockLinkErr(path)
	}
	return nil, s.writeErr(err)
}

// isLinkErr reports whether opening the lock failed because it is a
// symbolic link (ELOOP from O_NOFOLLOW; the Lstat check may have raced).
func isLinkErr(err error) bool {
	st, lerr := os.Lstat(lockPathOf(err))
	return lerr == nil && st.Mode()&fs.ModeSymlink != 0
}

// lockPathOf is the path of a failed open, or "".
func lockPathOf(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Path
	}
	return ""
}

// lockLinkErr refuses a lock file that is a symbolic link: following it
// would let whoever planted it make volact create or lock another file.
func (s *Store) lockLinkErr(path string) error {
	return hresult.Newf(hresult.StoreTampered, "store lock %s is a symbolic link: refused", path).
		WithExit(hresult.ExitStore).
		WithHint("remove the link (volact recreates the lock file), and check who can write " + s.Dir)
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// writeErr reports that Dir cannot be written (missing permission, not a
// directory, disk full).
func (s *Store) writeErr(err error) error {
	return hresult.Wrap(hresult.Internal, err, fmt.Sprintf("cannot write store %s", s.Dir)).
		WithExit(hresult.ExitStore).
		WithHint("check that the directory exists, is a directory and is writable, or choose another one with --store")
}
