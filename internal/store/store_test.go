package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/volact/volact/internal/atomicfile"
	"github.com/volact/volact/internal/hresult"
)

func TestRoundTrip(t *testing.T) {
	s := newTestStore(t)
	want := testState{Counter: 3, IDs: []string{"a", "b"}, Pad: "<&> é"}
	var calls []bool
	for i := 0; i < 2; i++ {
		var got testState
		err := s.Update(&got, func(exists bool) error {
			calls = append(calls, exists)
			got = want
			return nil
		})
		if err != nil {
			t.Fatalf("Update %d: %v", i, err)
		}
	}
	if !reflect.DeepEqual(calls, []bool{false, true}) {
		t.Errorf("fn saw exists = %v, want [false true]", calls)
	}
	var got testState
	exists, err := s.View(&got)
	if err != nil || !exists {
		t.Fatalf("View = %v, %v; want true, nil", exists, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("View = %+v, want %+v", got, want)
	}
}

func TestUpdateReadsCurrentState(t *testing.T) {
	s := newTestStore(t)
	put(t, s, &testState{Counter: 41})
	var st testState
	if err := s.Update(&st, func(bool) error { st.Counter++; return nil }); err != nil {
		t.Fatal(err)
	}
	var got testState
	if _, err := s.View(&got); err != nil || got.Counter != 42 {
		t.Errorf("counter = %d, %v; want 42", got.Counter, err)
	}
}

func TestViewMissing(t *testing.T) {
	for name, dir := range map[string]string{
		"empty dir":   t.TempDir(),
		"missing dir": filepath.Join(t.TempDir(), "nope"),
	} {
		t.Run(name, func(t *testing.T) {
			s := New(dir)
			v := testState{Counter: 99}
			exists, err := s.View(&v)
			if exists || err != nil {
				t.Fatalf("View = %v, %v; want false, nil", exists, err)
			}
			if v.Counter != 99 {
				t.Errorf("View changed v to %+v", v)
			}
		})
	}
}

func TestUpdateCreatesPrivateFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix permission bits do not apply on Windows")
	}
	s := New(filepath.Join(t.TempDir(), "a", "volact"))
	put(t, s, &testState{Counter: 1})
	for path, want := range map[string]os.FileMode{s.Dir: 0o700, s.Path(): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode %v, want %v", path, got, want)
		}
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	s := newTestStore(t)
	const workers, each = 4, 5
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				var st testState
				if err := s.Update(&st, func(bool) error { st.Counter++; return nil }); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	var st testState
	if _, err := s.View(&st); err != nil || st.Counter != workers*each {
		t.Errorf("counter = %d, %v; want %d", st.Counter, err, workers*each)
	}
}

func TestFileFormat(t *testing.T) {
	s := newTestStore(t)
	put(t, s, &testState{Counter: 5})
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(readBytes(t, s), &doc); err != nil {
		t.Fatal(err)
	}
	checks := map[string]string{
		"format":     `^2$`,
		"written_at": `^"2026-03-04T05:06:07.00000089Z"$`,
		"sha256":     `^"[0-9a-f]{64}"$`,
		"state":      `"counter": 5`,
	}
	for field, re := range checks {
		if !regexp.MustCompile(re).Match(doc[field]) {
			t.Errorf("field %s = %s, want match for %s", field, doc[field], re)
		}
	}
}

func TestFnErrorWritesNothing(t *testing.T) {
	s := newTestStore(t)
	put(t, s, &testState{Counter: 1})
	before := readBytes(t, s)
	boom := errors.New("boom")
	var st testState
	err := s.Update(&st, func(bool) error { st.Counter = 2; return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	if after := readBytes(t, s); string(after) != string(before) {
		t.Errorf("state changed after fn failed:\n%s", after)
	}
}

func TestEncodeErrorWritesNothing(t *testing.T) {
	s := newTestStore(t)
	put(t, s, &testState{Counter: 1})
	before := readBytes(t, s)
	v := map[string]any{}
	err := s.Update(&v, func(bool) error { v["bad"] = make(chan int); return nil })
	wantHR(t, err, hresult.Internal, hresult.ExitInternal, "cannot encode")
	if after := readBytes(t, s); string(after) != string(before) {
		t.Errorf("state changed after encode failed")
	}
}

func TestNonPointerIsNotTampering(t *testing.T) {
	s := newTestStore(t)
	put(t, s, &testState{Counter: 1})
	_, err := s.View(testState{})
	wantHR(t, err, hresult.Internal, hresult.ExitInternal, "cannot decode the store state")
}

func TestLockTimeout(t *testing.T) {
	s := newTestStore(t)
	s.LockTimeout = 50 * time.Millisecond
	put(t, s, &testState{Counter: 1})

	held := flock.New(filepath.Join(s.Dir, lockName))
	if err := held.Lock(); err != nil {
		t.Fatal(err)
	}
	called := false
	err := s.Update(&testState{}, func(bool) error { called = true; return nil })
	wantHR(t, err, hresult.StoreLocked, hresult.ExitStore,
		"store "+s.Dir+" is locked by another volact process (waited 50ms)")
	if called {
		t.Error("Update called fn without the lock")
	}
	wantHR(t, s.Reset(), hresult.StoreLocked, hresult.ExitStore)
	if exists, err := s.View(&testState{}); !exists || err != nil {
		t.Errorf("View under a held lock = %v, %v; want true, nil", exists, err)
	}

	if err := held.Unlock(); err != nil {
		t.Fatal(err)
	}
	put(t, s, &testState{Counter: 2})
}

func TestDirNotWritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := New(file).Update(&testState{}, func(bool) error { return nil })
	wantHR(t, err, hresult.Internal, hresult.ExitStore, "cannot write store "+file)
}

func TestWriteFailureKeepsOldState(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	// A non-empty directory cannot be replaced by a rename.
	if err := os.MkdirAll(filepath.Join(target, "child"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := writeAtomic(target, []byte("new")); err == nil {
		t.Fatal("writeAtomic over a non-empty directory succeeded")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, atomicfile.TempPrefix+"*")); len(left) != 0 {
		t.Errorf("temp files left behind: %v", left)
	}
	if _, err := os.Stat(filepath.Join(target, "child")); err != nil {
		t.Errorf("old target damaged: %v", err)
	}
}

func TestLeftoverTempFiles(t *testing.T) {
	s := newTestStore(t)
	put(t, s, &testState{Counter: 1})
	junk := filepath.Join(s.Dir, tempPrefix+"12345")
	if err := os.WriteFile(junk, []byte(`{"format": 1, "trunc`), 0o600); err != nil {
		t.Fatal(err)
	}
	var st testState
	if _, err := s.View(&st); err != nil || st.Counter != 1 {
		t.Fatalf("View with a leftover temp file = %+v, %v", st, err)
	}
	put(t, s, &testState{Counter: 2})
	if _, err := os.Stat(junk); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("leftover temp file not removed by Update: %v", err)
	}
}

func TestReset(t *testing.T) {
	if err := New(filepath.Join(t.TempDir(), "missing")).Reset(); err != nil {
		t.Errorf("Reset of a missing store: %v", err)
	}
	s := newTestStore(t)
	put(t, s, &testState{Counter: 1})
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	if exists, err := s.View(&testState{}); exists || err != nil {
		t.Errorf("View after Reset = %v, %v; want false, nil", exists, err)
	}
	if err := s.Reset(); err != nil {
		t.Errorf("second Reset: %v", err)
	}
}

func BenchmarkUpdate(b *testing.B) {
	s := newTestStore(b)
	var st testState
	for b.Loop() {
		if err := s.Update(&st, func(bool) error { st.Counter++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkView(b *testing.B) {
	s := newTestStore(b)
	put(b, s, &testState{Counter: 1, IDs: []string{"a", "b", "c"}})
	for b.Loop() {
		var st testState
		if _, err := s.View(&st); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReadsFormat1 reads a store written by a volact of format 1 and
// checks that the next update writes it as the current format.
func TestReadsFormat1(t *testing.T) {
	s := newTestStore(t)
	state := []byte(`{"counter": 41}`)
	sum := sha256.Sum256(state)
	old := fmt.Sprintf(`{"format": 1, "written_at": "2025-01-01T00:00:00Z", "sha256": %q, "state": %s}`, hex.EncodeToString(sum[:]), state)
	if err := os.WriteFile(s.Path(), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	var st testState
	if ok, err := s.View(&st); err != nil || !ok || st.Counter != 41 {
		t.Fatalf("View of a format-1 store: %+v %v %v", st, ok, err)
	}
	if err := s.Update(&st, func(bool) error { st.Counter++; return nil }); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Format int `json:"format"`
	}
	if err := json.Unmarshal(readBytes(t, s), &doc); err != nil || doc.Format != FormatVersion {
		t.Fatalf("rewritten as format %d (%v), want %d", doc.Format, err, FormatVersion)
	}
	if _, err := s.View(&st); err != nil || st.Counter != 42 {
		t.Fatalf("after update: %+v %v", st, err)
	}
}
