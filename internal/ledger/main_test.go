package ledger

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/pgtest"
)

// TestMain stops the throwaway PostgreSQL server after the tests.
func TestMain(m *testing.M) { pgtest.Main(m) }

// testRoot is the root fingerprint the test ledgers belong to.
const testRoot = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// now is the fixed time of every test activation.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// backends lists the databases every test runs against: each func returns
// the DSN of a fresh, empty database.
var backends = []struct {
	name string
	dsn  func(testing.TB) string
}{
	{"sqlite", func(tb testing.TB) string { return "sqlite:" + filepath.Join(tb.TempDir(), "ledger.db") }},
	{"postgres", pgtest.Start},
}

// eachBackend runs fn as a subtest per backend, with a fresh database.
func eachBackend(t *testing.T, fn func(t *testing.T, dsn string)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b.dsn(t)) })
	}
}

// open opens dsn and closes it when tb ends.
func open(tb testing.TB, dsn string) *Ledger {
	tb.Helper()
	l, err := Create(context.Background(), dsn, testRoot)
	if err != nil {
		tb.Fatalf("Create: %v", err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

func makKey(id string, limit int) KeyRef {
	return KeyRef{ID: id, Last5: strings.ToUpper(id[len(id)-5:]), SKU: "ent-2026", Type: TypeMAK, Limit: limit}
}

func hostKey(id string) KeyRef {
	return KeyRef{ID: id, Last5: strings.ToUpper(id[len(id)-5:]), SKU: "kms-ws", Type: TypeKMSHost}
}

// wantErr checks that err is an *hresult.Error with code and, when msg is
// not empty, exactly that message.
func wantErr(t *testing.T, err error, code hresult.Code, msg string) {
	t.Helper()
	var he *hresult.Error
	if !errors.As(err, &he) {
		t.Fatalf("error = %v (%T), want *hresult.Error %v", err, err, code)
	}
	if he.Code != code {
		t.Fatalf("code = %v (%v), want %v", he.Code, err, code)
	}
	if msg != "" && he.Msg != msg {
		t.Fatalf("message = %q, want %q", he.Msg, msg)
	}
}

// wantStatus checks what Remaining reports for k.
func wantStatus(t *testing.T, l *Ledger, k KeyRef, want KeyStatus) {
	t.Helper()
	got, err := l.Remaining(context.Background(), k)
	if err != nil {
		t.Fatalf("Remaining: %v", err)
	}
	if got != want {
		t.Fatalf("Remaining = %+v, want %+v", got, want)
	}
}

// race runs fn(i) for i in [0, n) in n goroutines released at once and
// returns the errors by i.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}
