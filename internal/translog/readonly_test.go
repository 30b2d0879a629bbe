package translog

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestExportDir: while the log is open, ExportDir writes what Export does;
// a batch cut short at the end of the file (no checkpoint record) is left
// out.
func TestExportDir(t *testing.T) {
	k := newTestKey(t, 1)
	dir := t.TempDir()
	l := mustOpen(t, dir, k)
	appendN(t, l, 0, 20)
	var want, got bytes.Buffer
	if err := l.Export(&want); err != nil {
		t.Fatal(err)
	}
	if err := ExportDir(dir, &got); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Fatalf("ExportDir differs from Export:\n%s\nwant\n%s", got.String(), want.String())
	}
	mustClose(t, l)
	f, err := os.OpenFile(filepath.Join(dir, logName), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	rec := appendRecord(nil, typeLeaf, []byte("uncovered"))
	_, err = f.Write(append(rec, appendRecord(nil, typeCkpt, []byte("cut"))[:5]...))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	got.Reset()
	if err := ExportDir(dir, &got); err != nil || got.String() != want.String() {
		t.Errorf("with a torn batch: %v\n%s", err, got.String())
	}
	if err := ExportDir(t.TempDir(), &got); err == nil {
		t.Error("no log: no error")
	}
}
