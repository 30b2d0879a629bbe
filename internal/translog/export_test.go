package translog

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
)

// exportOf returns the export of a log of n leaves, one batch each.
func exportOf(t testing.TB, k testKey, n int) string {
	t.Helper()
	l := mustOpen(t, t.TempDir(), k)
	defer mustClose(t, l)
	appendN(t, l, 0, n)
	var buf bytes.Buffer
	if err := l.Export(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestExportVerify(t *testing.T) {
	k := newTestKey(t, 1)
	dir := t.TempDir()
	l := mustOpen(t, dir, k)
	// Batches of several leaves, and a reopen in the middle.
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.Append(context.Background(), leafText(i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	mustClose(t, l)
	l = mustOpen(t, dir, k)
	defer mustClose(t, l)
	appendN(t, l, 40, 45)

	var buf bytes.Buffer
	if err := l.Export(&buf); err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyExport(&buf, k.verif)
	if err != nil {
		t.Fatal(err)
	}
	st := l.Stats()
	if rep.Leaves != 45 || rep.Latest.Size != 45 || !bytes.Equal(rep.LatestNote, l.Checkpoint()) {
		t.Errorf("report %+v, want 45 leaves and the latest checkpoint", rep)
	}
	if rep.Checkpoints < 6 || int64(rep.Checkpoints) > 45 || st.Batches != 5 {
		t.Errorf("%d checkpoints (%d batches since reopen)", rep.Checkpoints, st.Batches)
	}

	var empty bytes.Buffer
	e := mustOpen(t, t.TempDir(), k)
	defer mustClose(t, e)
	if err := e.Export(&empty); err != nil {
		t.Fatal(err)
	}
	if rep, err := VerifyExport(&empty, k.verif); err != nil || rep.Leaves != 0 || rep.Checkpoints != 0 {
		t.Errorf("empty export: %+v %v", rep, err)
	}
}

// TestVerifyExportFindsTampering edits an export of 8 one-leaf batches
// (lines: header, then leaf i at line 2+2i and its checkpoint after it).
func TestVerifyExportFindsTampering(t *testing.T) {
	k := newTestKey(t, 1)
	good := exportOf(t, k, 8)
	otherKey := exportOf(t, newTestKey(t, 2), 8)
	leafLine := func(i int) int { return 1 + 2*i } // index in lines
	ckptLine := func(i int) int { return 2 + 2*i } // checkpoint of size i+1
	tests := []struct {
		name     string
		edit     func(lines []string) []string
		wantCkpt int
		wantLeaf int64
		wantFork bool
		wantMsg  string
	}{
		{"leaf edited", func(ls []string) []string {
			ls[leafLine(5)] = "leaf " + base64.StdEncoding.EncodeToString([]byte("forged"))
			return ls
		}, 5, 5, true, "root does not match"},
		{"leaf deleted", func(ls []string) []string {
			return append(ls[:leafLine(3):leafLine(3)], ls[leafLine(3)+1:]...)
		}, 3, 3, true, "signed for 4 leaves but 3 precede it"},
		{"leaf inserted", func(ls []string) []string {
			extra := "leaf " + base64.StdEncoding.EncodeToString([]byte("inserted"))
			return append(ls[:leafLine(6):leafLine(6)], append([]string{extra}, ls[leafLine(6):]...)...)
		}, 6, 6, true, "signed for 7 leaves but 8 precede it"},
		{"leaves swapped", func(ls []string) []string {
			ls[leafLine(2)], ls[leafLine(3)] = ls[leafLine(3)], ls[leafLine(2)]
			return ls
		}, 2, 2, true, "root does not match"},
		{"leaf appended after the last checkpoint", func(ls []string) []string {
			return append(ls, ls[leafLine(0)])
		}, -1, 8, true, "after the last checkpoint"},
		{"checkpoint from another key", func(ls []string) []string {
			ls[ckptLine(4)] = strings.Split(otherKey, "\n")[ckptLine(4)]
			return ls
		}, 4, -1, false, "not signed by"},
		{"bad base64", func(ls []string) []string {
			ls[leafLine(7)] = "leaf !!"
			return ls
		}, -1, -1, false, "want \"leaf <base64>\""},
		{"unknown kind", func(ls []string) []string {
			ls[leafLine(7)] = "note " + base64.StdEncoding.EncodeToString([]byte("x"))
			return ls
		}, -1, -1, false, "unknown line kind"},
		{"no header", func(ls []string) []string { return ls[1:] }, -1, -1, false, "not a volact transparency log export"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := strings.Split(strings.TrimSuffix(good, "\n"), "\n")
			edited := strings.Join(tt.edit(lines), "\n") + "\n"
			_, err := VerifyExport(strings.NewReader(edited), k.verif)
			var ee *ExportError
			if !errors.As(err, &ee) {
				t.Fatalf("VerifyExport: %v, want an *ExportError", err)
			}
			if ee.Checkpoint != tt.wantCkpt || ee.FirstLeaf != tt.wantLeaf ||
				errors.Is(err, ErrFork) != tt.wantFork || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("got %v (checkpoint %d, first leaf %d, fork %v)\nwant checkpoint %d, first leaf %d, fork %v, %q",
					err, ee.Checkpoint, ee.FirstLeaf, errors.Is(err, ErrFork), tt.wantCkpt, tt.wantLeaf, tt.wantFork, tt.wantMsg)
			}
		})
	}
	if _, err := VerifyExport(strings.NewReader(good), k.verif); err != nil {
		t.Fatalf("the untouched export: %v", err)
	}
	// Dropping a checkpoint changes no tree: the export still verifies, with
	// one checkpoint fewer (a client holding it finds it missing).
	lines := strings.Split(good, "\n")
	dropped := strings.Join(append(lines[:ckptLine(1):ckptLine(1)], lines[ckptLine(1)+1:]...), "\n")
	if rep, err := VerifyExport(strings.NewReader(dropped), k.verif); err != nil || rep.Checkpoints != 7 {
		t.Errorf("a checkpoint dropped: %+v, %v", rep, err)
	}
	if _, err := VerifyExport(strings.NewReader(good), newTestKey(t, 2).verif); err == nil {
		t.Error("verified with the wrong key")
	}
}
