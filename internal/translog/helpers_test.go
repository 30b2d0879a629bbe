package translog

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// testKey is a deterministic key for seed, with its KMS-style origin.
type testKey struct {
	origin string
	signer note.Signer
	verif  note.Verifier
}

func newTestKey(tb testing.TB, seed byte) testKey {
	tb.Helper()
	k, err := makeTestKey(seed)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func makeTestKey(seed byte) (testKey, error) {
	priv := ed25519.NewKeyFromSeed(append(make([]byte, 31), seed))
	o, err := KeyOptions(OriginKMS, priv)
	if err != nil {
		return testKey{}, err
	}
	return testKey{o.Signer.Name(), o.Signer, o.Verifier}, nil
}

func (k testKey) opts() Options { return Options{Signer: k.signer, Verifier: k.verif} }

func mustOpen(tb testing.TB, dir string, k testKey) *Log {
	tb.Helper()
	l, err := Open(dir, k.opts())
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return l
}

func mustClose(tb testing.TB, l *Log) {
	tb.Helper()
	if err := l.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
}

// leafText is the i'th test leaf, shaped like a server's record.
func leafText(i int) []byte {
	return fmt.Appendf(nil, `{"time":"2025-01-01T00:00:%02dZ","machine":"sha256:%064x","product":"ws","result":"0x0","count":%d}`, i%60, i, i)
}

// appendN appends leaves from..to-1 one at a time and returns the receipts.
func appendN(tb testing.TB, l *Log, from, to int) []Receipt {
	tb.Helper()
	var out []Receipt
	for i := from; i < to; i++ {
		r, err := l.Append(context.Background(), leafText(i))
		if err != nil {
			tb.Fatalf("Append %d: %v", i, err)
		}
		if r.Index != int64(i) {
			tb.Fatalf("Append %d: index %d", i, r.Index)
		}
		out = append(out, r)
	}
	return out
}

// crashCopy copies the log's files to a new directory as they are now,
// without closing: the state a kill -9 leaves (the page cache survives).
func crashCopy(tb testing.TB, dir string) string {
	tb.Helper()
	to := tb.TempDir()
	for _, name := range []string{logName, hashesName} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, name), b, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return to
}

// rec is a record of a log file as found by records.
type rec struct {
	off, size int64
	typ       byte
}

// records lists the records of the log file in dir.
func records(tb testing.TB, dir string) []rec {
	tb.Helper()
	f, err := os.Open(filepath.Join(dir, logName))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	r := bufio.NewReader(io.NewSectionReader(f, recordsStart, st.Size()-recordsStart))
	var out []rec
	off := int64(recordsStart)
	for {
		typ, _, _, n, err := readRecord(r, nil)
		if err != nil {
			return out
		}
		out = append(out, rec{off, n, typ})
		off += n
	}
}

// recordsEnd is the offset after the last record of the log file in dir:
// where the zeros of its allocated part start.
func recordsEnd(tb testing.TB, dir string) int64 {
	rs := records(tb, dir)
	if len(rs) == 0 {
		return recordsStart
	}
	last := rs[len(rs)-1]
	return last.off + last.size
}

// leafRecords returns the records of leaves only.
func leafRecords(tb testing.TB, dir string) []rec {
	var out []rec
	for _, r := range records(tb, dir) {
		if r.typ == typeLeaf {
			out = append(out, r)
		}
	}
	return out
}

// patchFile applies fn to the content of dir/name.
func patchFile(tb testing.TB, dir, name string, fn func([]byte) []byte) {
	tb.Helper()
	p := filepath.Join(dir, name)
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, fn(b), 0o600); err != nil {
		tb.Fatal(err)
	}
}
