//go:build unix

package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/volact/volact/internal/hresult"
)

// TestLockFileSymlinkRefused plants state.lock as a link to a file that
// does not exist yet and to one that does: Update must refuse (exit 7),
// create nothing through the link and leave the target as it was.
func TestLockFileSymlinkRefused(t *testing.T) {
	for _, exists := range []bool{false, true} {
		dir := t.TempDir()
		victim := filepath.Join(t.TempDir(), "victim")
		if exists {
			if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink(victim, filepath.Join(dir, lockName)); err != nil {
			t.Fatal(err)
		}
		var v map[string]int
		err := New(dir).Update(&v, func(bool) error { v = map[string]int{"a": 1}; return nil })
		var he *hresult.Error
		if !errors.As(err, &he) || he.Exit != hresult.ExitStore {
			t.Fatalf("exists=%v: err = %v, want a store error (exit 7)", exists, err)
		}
		b, rerr := os.ReadFile(victim)
		switch {
		case !exists && rerr == nil:
			t.Fatalf("the lock was created through the link at %s", victim)
		case exists && string(b) != "precious":
			t.Fatalf("the link target changed: %q", b)
		}
		if _, err := os.Stat(filepath.Join(dir, stateName)); err == nil {
			t.Fatal("the state was written without the lock")
		}
		// isLinkErr also catches the open failing after the Lstat check.
		if err := New(dir).Reset(); err == nil {
			t.Fatal("Reset through a linked lock succeeded")
		}
	}
}

// TestLockOpenNoFollow checks the open flag itself: opening a linked lock
// with lockOpenFlag fails even when the Lstat check is skipped (a race).
func TestLockOpenNoFollow(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, lockName)
	if err := os.Symlink(filepath.Join(dir, "target"), link); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(link, lockOpenFlag, 0o600)
	if err == nil {
		f.Close()
		t.Fatal("opened the lock through a symbolic link")
	}
	if !isLinkErr(err) {
		t.Fatalf("isLinkErr(%v) = false", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "target")); err == nil {
		t.Fatal("the link target was created")
	}
}
