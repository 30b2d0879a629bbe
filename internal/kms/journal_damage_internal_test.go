package kms

import (
	"encoding/binary"
	"testing"
)

// TestLostRecords: what a damaged segment reports as lost is the damaged
// record and every intact record after it, whether the damage hit a
// payload, a checksum or a length, and nothing for a clean end.
func TestLostRecords(t *testing.T) {
	ws := journalWrites()
	var starts []int
	var seg []byte
	for range 5 { // 20 records
		for _, w := range ws {
			starts = append(starts, len(seg))
			seg = appendRecord(seg, w)
		}
	}
	seg = append(seg, make([]byte, 4096)...) // the segment's zeros
	n := len(starts)
	for _, tc := range []struct {
		name   string
		damage func(b []byte)
		kept   int // records before the damage
		lost   int
	}{
		{"a payload byte of record 7", func(b []byte) { b[starts[7]+recordHeader+2] ^= 0xFF }, 7, n - 7},
		{"the checksum of the first record", func(b []byte) { b[5] ^= 0x01 }, 0, n},
		{"a length made a little longer in record 7", func(b []byte) {
			binary.LittleEndian.PutUint32(b[starts[7]:], binary.LittleEndian.Uint32(b[starts[7]:])+20)
		}, 7, n - 7},
		{"a length made huge in record 12", func(b []byte) { binary.LittleEndian.PutUint32(b[starts[12]:], 1<<30) }, 12, n - 12},
		{"a length one too short in the last record", func(b []byte) {
			binary.LittleEndian.PutUint32(b[starts[n-1]:], binary.LittleEndian.Uint32(b[starts[n-1]:])-1)
		}, n - 1, 1},
		{"garbage right after the last record", func(b []byte) { copy(b[len(b)-4096:], "garbage!") }, n, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := append([]byte(nil), seg...)
			tc.damage(b)
			kept, end, err := decodeRecordsAt(b)
			if err == nil || len(kept) != tc.kept {
				t.Fatalf("decode kept %d records (err %v), want %d and damage", len(kept), err, tc.kept)
			}
			if got := lostRecords(b[end:]); got != tc.lost {
				t.Errorf("lostRecords = %d, want %d", got, tc.lost)
			}
		})
	}
	if got := lostRecords(make([]byte, 100)); got != 0 {
		t.Errorf("lostRecords of zeros = %d, want 0", got)
	}
}
