package translog

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTornTailRecovers cuts or extends the log file as a crash or power
// cut could, on a copy taken without Close, and checks that Open keeps
// exactly the batches whose checkpoint is complete, moves the rest aside,
// and then extends the same history.
func TestTornTailRecovers(t *testing.T) {
	k := newTestKey(t, 1)
	tests := []struct {
		name        string
		damage      func(t *testing.T, dir string) // on a crash copy with 6 leaves, one per batch
		wantSize    int64
		wantDropped int64
		wantTorn    bool
	}{
		{"clean crash", func(*testing.T, string) {}, 6, 0, false},
		{"cut inside the last checkpoint", func(t *testing.T, dir string) {
			rs := records(t, dir)
			last := rs[len(rs)-1]
			truncate(t, dir, last.off+last.size/2)
		}, 5, 1, true},
		{"cut inside the last leaf", func(t *testing.T, dir string) {
			ls := leafRecords(t, dir)
			truncate(t, dir, ls[5].off+3)
		}, 5, 0, true},
		{"cut inside a record header", func(t *testing.T, dir string) {
			ls := leafRecords(t, dir)
			truncate(t, dir, ls[5].off+5)
		}, 5, 0, true},
		{"zeros after the end", func(t *testing.T, dir string) {
			// The allocated part of the file, and more of it.
			patchFile(t, dir, logName, func(b []byte) []byte { return append(b, make([]byte, 4096)...) })
		}, 6, 0, false},
		{"bytes after the zeros", func(t *testing.T, dir string) {
			patchFile(t, dir, logName, func(b []byte) []byte { return append(b, make([]byte, 4096)...) })
			patchFile(t, dir, logName, func(b []byte) []byte { return append(b, 'x') })
		}, 6, 0, true},
		{"leaves without their checkpoint", func(t *testing.T, dir string) {
			end := recordsEnd(t, dir)
			patchFile(t, dir, logName, func(b []byte) []byte {
				b = b[:end]
				b = appendRecord(b, typeLeaf, []byte("never acknowledged"))
				return appendRecord(b, typeLeaf, []byte("nor this"))
			})
		}, 6, 2, true},
		{"hashes file cut", func(t *testing.T, dir string) {
			patchFile(t, dir, hashesName, func(b []byte) []byte { return b[:len(b)-40] })
		}, 6, 0, false},
		{"hashes file lost", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, hashesName)); err != nil {
				t.Fatal(err)
			}
		}, 6, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := mustOpen(t, t.TempDir(), k)
			defer mustClose(t, live)
			rs := appendN(t, live, 0, 6)
			dir := crashCopy(t, live.dir)
			tt.damage(t, dir)

			l := mustOpen(t, dir, k)
			defer mustClose(t, l)
			if l.Size() != tt.wantSize {
				t.Fatalf("size %d, want %d", l.Size(), tt.wantSize)
			}
			if !bytes.Equal(l.Checkpoint(), rs[tt.wantSize-1].Checkpoint) {
				t.Errorf("checkpoint %q, want the one signed for size %d", l.Checkpoint(), tt.wantSize)
			}
			rec := l.Recovery()
			if rec.DroppedLeaves != tt.wantDropped || (rec.TornBytes > 0) != tt.wantTorn {
				t.Errorf("recovery %+v, want %d dropped leaves, torn %v", rec, tt.wantDropped, tt.wantTorn)
			}
			if tt.wantTorn {
				if _, err := os.Stat(filepath.Join(dir, rec.MovedTo)); err != nil {
					t.Errorf("moved-aside tail: %v", err)
				}
			}
			// The log goes on from there, consistently with what it signed.
			next, err := l.Append(context.Background(), []byte("after the crash"))
			if err != nil {
				t.Fatal(err)
			}
			if next.Index != tt.wantSize {
				t.Errorf("next index %d, want %d", next.Index, tt.wantSize)
			}
			old := rs[tt.wantSize-1].Checkpoint
			p, err := l.ConsistencyProof(tt.wantSize, l.Size())
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyConsistency(old, next.Checkpoint, p, k.verif); err != nil {
				t.Errorf("after recovery: %v", err)
			}
			for i := range tt.wantSize {
				proof, err := l.RecordProof(i, l.Size())
				if err != nil {
					t.Fatal(err)
				}
				if _, err := VerifyReceipt(leafText(int(i)), Receipt{Index: i, Checkpoint: next.Checkpoint, Proof: proof}, k.verif); err != nil {
					t.Errorf("leaf %d after recovery: %v", i, err)
				}
			}
		})
	}
}

// TestOpenRefusesFork damages a cleanly closed log in ways no crash does
// and checks that Open refuses, names the place and changes nothing.
func TestOpenRefusesFork(t *testing.T) {
	k := newTestKey(t, 1)
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string) // on a closed log of 8 leaves, one per batch
		want   error
		msg    string
	}{
		{"leaf edited, checksum fixed", func(t *testing.T, dir string) {
			editLeaf(t, dir, 3, true)
		}, ErrFork, "leaf 3 differs"},
		{"leaf edited, checksum left", func(t *testing.T, dir string) {
			editLeaf(t, dir, 3, false)
		}, ErrFork, "holds only 3 checkpointed leaves"},
		{"leaf record deleted", func(t *testing.T, dir string) {
			ls := leafRecords(t, dir)
			patchFile(t, dir, logName, func(b []byte) []byte {
				return append(b[:ls[4].off:ls[4].off], b[ls[4].off+ls[4].size:]...)
			})
		}, ErrFork, "deleted or inserted from leaf 4 on"},
		{"leaf edited, checksum fixed, hashes and slots lost", func(t *testing.T, dir string) {
			editLeaf(t, dir, 3, true)
			if err := os.Remove(filepath.Join(dir, hashesName)); err != nil {
				t.Fatal(err)
			}
			patchFile(t, dir, logName, func(b []byte) []byte {
				clear(b[slotOffset:recordsStart])
				return b
			})
		}, ErrFork, "do not reproduce the signed checkpoint of size 4"},
		{"log truncated below a signed checkpoint", func(t *testing.T, dir string) {
			ls := leafRecords(t, dir)
			truncate(t, dir, ls[6].off)
		}, ErrFork, "checkpoint of size 8 was signed"},
		{"hash edited", func(t *testing.T, dir string) {
			patchFile(t, dir, hashesName, func(b []byte) []byte { b[32*5+7] ^= 1; return b })
		}, ErrCorrupt, "stored hash 5"},
		{"hashes file cut", func(t *testing.T, dir string) {
			patchFile(t, dir, hashesName, func(b []byte) []byte { return b[:64] })
		}, ErrCorrupt, "stored hash 2"},
		{"not a log", func(t *testing.T, dir string) {
			patchFile(t, dir, logName, func(b []byte) []byte { b[0] = 'X'; return b })
		}, ErrCorrupt, "not a volact transparency log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			l := mustOpen(t, dir, k)
			appendN(t, l, 0, 8)
			mustClose(t, l)
			tt.damage(t, dir)
			before := snapshot(t, dir)

			_, err := Open(dir, k.opts())
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Open: %v\nwant %v containing %q", err, tt.want, tt.msg)
			}
			if after := snapshot(t, dir); after != before {
				t.Errorf("a refused Open changed the files:\n%s\nwas\n%s", after, before)
			}
		})
	}
}

// editLeaf flips a byte of leaf i's payload, fixing the record's
// checksum or not.
func editLeaf(t *testing.T, dir string, i int, fixCRC bool) {
	t.Helper()
	r := leafRecords(t, dir)[i]
	patchFile(t, dir, logName, func(b []byte) []byte {
		b[r.off+recordHeader+2] ^= 1
		if fixCRC {
			body := b[r.off+recordHeader : r.off+r.size]
			binary.LittleEndian.PutUint32(b[r.off+4:], crc32.Checksum(body, castagnoli))
		}
		return b
	})
}

func truncate(t *testing.T, dir string, size int64) {
	t.Helper()
	if err := os.Truncate(filepath.Join(dir, logName), size); err != nil {
		t.Fatal(err)
	}
}

// snapshot describes the files of dir, for before/after comparisons.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range ents {
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		fmt.Fprintf(&b, "%s %d %08x\n", e.Name(), len(data), crc32.ChecksumIEEE(data))
	}
	return b.String()
}
