package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestWriteFileReplacesAndSetsMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	if err := WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "new" {
		t.Fatalf("content %q, want new", b)
	}
	if runtime.GOOS != "windows" {
		st, _ := os.Stat(p)
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v, want 0600", st.Mode().Perm())
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, TempPrefix+"*"))
	if len(left) != 0 {
		t.Fatalf("temp files left behind: %v", left)
	}
}

func TestWriteFileFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A directory where the file should be makes the rename fail.
	target := filepath.Join(dir, "sub")
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(target, []byte("new"), 0o600); err == nil {
		t.Fatal("writing over a non-empty directory succeeded")
	}
	b, _ := os.ReadFile(p)
	if string(b) != "old" {
		t.Fatalf("old file changed: %q", b)
	}
	left, _ := filepath.Glob(filepath.Join(dir, TempPrefix+"*"))
	if len(left) != 0 {
		t.Fatalf("temp files left behind: %v", left)
	}
}

func TestCreate(t *testing.T) {
	tests := []struct {
		name     string
		existing string // content already at path; "" = none
		wantErr  bool
		want     string
	}{
		{name: "new file", want: "key"},
		{name: "existing file is kept", existing: "old", wantErr: true, want: "old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "root.key")
			if tt.existing != "" {
				if err := os.WriteFile(p, []byte(tt.existing), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := Create(p, []byte("key"), 0o600)
			if tt.wantErr != (err != nil) {
				t.Fatalf("Create error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, fs.ErrExist) {
				t.Errorf("Create error %v does not wrap fs.ErrExist", err)
			}
			if b, _ := os.ReadFile(p); string(b) != tt.want {
				t.Errorf("content %q, want %q", b, tt.want)
			}
			if runtime.GOOS != "windows" && err == nil {
				st, _ := os.Stat(p)
				if st.Mode().Perm() != 0o600 {
					t.Errorf("mode %v, want 0600", st.Mode().Perm())
				}
			}
			left, _ := filepath.Glob(filepath.Join(dir, TempPrefix+"*"))
			if len(left) != 0 {
				t.Errorf("temp files left behind: %v", left)
			}
		})
	}
}

func TestTempPrefixFor(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state.json")
	junk := filepath.Join(dir, TempPrefixFor(p)+"123")
	if err := os.WriteFile(junk, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, TempPrefixFor(p)+"*"))
	if len(left) != 1 || left[0] != junk {
		t.Fatalf("files matching the temp prefix = %v, want only %s", left, junk)
	}
}

func TestRetry(t *testing.T) {
	errBusy := errors.New("busy")
	errOther := errors.New("other")
	tests := []struct {
		name      string
		fails     int   // calls that fail before op succeeds
		failWith  error // error of a failing call
		wantErr   error
		wantCalls int
	}{
		{name: "first try", fails: 0, wantCalls: 1},
		{name: "transient then success", fails: 3, failWith: errBusy, wantCalls: 4},
		{name: "transient forever", fails: retryAttempts + 5, failWith: errBusy, wantErr: errBusy, wantCalls: retryAttempts},
		{name: "other error not retried", fails: 3, failWith: errOther, wantErr: errOther, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pauses := 0
			pause = func(time.Duration) { pauses++ }
			t.Cleanup(func() { pause = time.Sleep })
			calls := 0
			err := retry(func() error {
				calls++
				if calls <= tt.fails {
					return tt.failWith
				}
				return nil
			}, func(err error) bool { return err == errBusy })
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("retry error = %v, want %v", err, tt.wantErr)
			}
			if calls != tt.wantCalls {
				t.Errorf("op called %d times, want %d", calls, tt.wantCalls)
			}
			if pauses != calls-1 {
				t.Errorf("paused %d times after %d calls", pauses, calls)
			}
		})
	}
}

// failingTemp is a real temp file whose op fails: the file exists on disk,
// so a missing cleanup would show.
type failingTemp struct {
	*os.File
	op string
}

var errInjected = errors.New("injected failure")

func (f failingTemp) Write(p []byte) (int, error) {
	if f.op == "write" {
		n, _ := f.File.Write(p[:len(p)/2]) // a short write, as on a full disk
		return n, errInjected
	}
	return f.File.Write(p)
}

func (f failingTemp) Sync() error {
	if f.op == "sync" {
		return errInjected
	}
	return f.File.Sync()
}

func (f failingTemp) Close() error {
	err := f.File.Close()
	if f.op == "close" {
		return errInjected
	}
	return err
}

// TestWriteFileErrorLeavesNoTemp makes each step of writing the temp file
// fail in turn and checks that WriteFile and Create report the error, keep
// the old file and leave no temp file behind.
func TestWriteFileErrorLeavesNoTemp(t *testing.T) {
	for _, op := range []string{"write", "sync", "close"} {
		for _, create := range []bool{false, true} {
			t.Run(op, func(t *testing.T) {
				dir := t.TempDir()
				p := filepath.Join(dir, "f")
				if !create {
					if err := WriteFile(p, []byte("old"), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				orig := createTemp
				createTemp = func(d, pattern string) (tempFile, error) {
					f, err := os.CreateTemp(d, pattern)
					if err != nil {
						return nil, err
					}
					return failingTemp{File: f, op: op}, nil
				}
				defer func() { createTemp = orig }()
				var err error
				if create {
					err = Create(p, []byte("new content"), 0o600)
				} else {
					err = WriteFile(p, []byte("new content"), 0o600)
				}
				if !errors.Is(err, errInjected) {
					t.Fatalf("err = %v, want the injected %s failure", err, op)
				}
				b, rerr := os.ReadFile(p)
				switch {
				case create && !errors.Is(rerr, fs.ErrNotExist):
					t.Fatalf("Create left %s behind (%q, %v)", p, b, rerr)
				case !create && string(b) != "old":
					t.Fatalf("old file changed: %q", b)
				}
				if left, _ := filepath.Glob(filepath.Join(dir, TempPrefix+"*")); len(left) != 0 {
					t.Fatalf("temp files left behind: %v", left)
				}
			})
		}
	}
}

// TestWriteFileRenameOntoDirLeavesNoTemp makes the rename fail (the target
// is an empty directory) and checks no temp file is left behind.
func TestWriteFileRenameOntoDirLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "empty-dir")
	if err := os.Mkdir(target, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(target, []byte("x"), 0o600); err == nil {
		t.Fatal("replacing a directory with a file succeeded")
	}
	if st, err := os.Stat(target); err != nil || !st.IsDir() {
		t.Fatalf("target changed: %v %v", st, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, TempPrefix+"*")); len(left) != 0 {
		t.Fatalf("temp files left behind: %v", left)
	}
}
