package translog

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParseCheckpoint(f *testing.F) {
	k := newTestKey(f, 1)
	l := mustOpen(f, f.TempDir(), k)
	rs := appendN(f, l, 0, 3)
	mustClose(f, l)
	f.Add(rs[2].Checkpoint)
	body, _, _ := bytes.Cut(rs[2].Checkpoint, []byte("\n\n"))
	f.Add(append(body, '\n'))
	f.Add([]byte("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"))
	f.Add([]byte("o\n01\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"))
	f.Add([]byte("o\n-1\n\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		c, err := ParseCheckpoint(text)
		if err == nil {
			// What parses is canonical: it formats back to the same bytes.
			if got := formatCheckpoint(c); !bytes.Equal(got, text) {
				t.Fatalf("ParseCheckpoint(%q) = %+v, which formats as %q", text, c, got)
			}
			if c.Size < 0 {
				t.Fatalf("negative size %d", c.Size)
			}
		}
		if c, err := OpenCheckpoint(text, k.verif); err == nil && c.Origin != k.origin {
			t.Fatalf("OpenCheckpoint accepted origin %q", c.Origin)
		}
	})
}

func FuzzVerifyExport(f *testing.F) {
	k := newTestKey(f, 1)
	good := exportOf(f, k, 4)
	f.Add([]byte(good))
	f.Add([]byte(strings.Replace(good, "leaf ", "checkpoint ", 1)))
	f.Add([]byte(ExportHeader + "\n"))
	f.Add([]byte(ExportHeader + "\nleaf \ncheckpoint \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := VerifyExport(bytes.NewReader(data), k.verif)
		if err != nil {
			return
		}
		if rep.Leaves != rep.Latest.Size || (rep.Checkpoints == 0) != (rep.Leaves == 0 && rep.LatestNote == nil) {
			t.Fatalf("inconsistent report %+v", rep)
		}
	})
}

// FuzzOpenLog opens log files whose records are fuzzed: Open must refuse
// or recover, never panic, and a log it opens must work and verify.
func FuzzOpenLog(f *testing.F) {
	k := newTestKey(f, 1)
	dir := f.TempDir()
	l := mustOpen(f, dir, k)
	appendN(f, l, 0, 3)
	mustClose(f, l)
	full, err := os.ReadFile(filepath.Join(dir, logName))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(full[recordsStart:])
	f.Add(full[recordsStart : len(full)-7])
	f.Add(appendRecord(nil, typeLeaf, []byte("x")))
	f.Add([]byte{})
	header := make([]byte, recordsStart)
	copy(header, fileMagic)
	f.Fuzz(func(t *testing.T, records []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, logName), append(bytes.Clone(header), records...), 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := Open(dir, k.opts())
		if err != nil {
			return
		}
		defer l.Close()
		if _, err := l.Append(context.Background(), []byte("after")); err != nil {
			t.Fatalf("Append after a successful Open: %v", err)
		}
		var buf bytes.Buffer
		if err := l.Export(&buf); err != nil {
			t.Fatal(err)
		}
		if rep, err := VerifyExport(&buf, k.verif); err != nil || rep.Leaves != l.Size() {
			t.Fatalf("export after Open: %+v, %v", rep, err)
		}
	})
}
