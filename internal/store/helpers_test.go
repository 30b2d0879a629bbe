package store

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
)

// testState is the value the tests store.
type testState struct {
	Counter int      `json:"counter"`
	IDs     []string `json:"ids,omitempty"`
	Pad     string   `json:"pad,omitempty"`
}

var fixedNow = time.Date(2026, 3, 4, 5, 6, 7, 890, time.UTC)

// newTestStore is a Store in a fresh directory with a fixed clock.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	s := New(t.TempDir())
	s.Now = func() time.Time { return fixedNow }
	return s
}

// put writes v as the whole state.
func put(t testing.TB, s *Store, v any) {
	t.Helper()
	if err := s.Update(v, func(bool) error { return nil }); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// readBytes returns the state file's bytes.
func readBytes(t testing.TB, s *Store) []byte {
	t.Helper()
	b, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantHR checks that err is an *hresult.Error with code and exit whose
// message contains every one of parts.
func wantHR(t *testing.T, err error, code hresult.Code, exit int, parts ...string) *hresult.Error {
	t.Helper()
	var he *hresult.Error
	if !errors.As(err, &he) {
		t.Fatalf("error %v (%T) is not an *hresult.Error", err, err)
	}
	if he.Code != code || he.Exit != exit {
		t.Errorf("code %v exit %d, want %v exit %d (%v)", he.Code, he.Exit, code, exit, err)
	}
	for _, p := range parts {
		if !strings.Contains(he.Error(), p) {
			t.Errorf("error %q does not contain %q", he.Error(), p)
		}
	}
	return he
}
