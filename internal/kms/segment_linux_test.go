package kms

import (
	"path/filepath"
	"testing"
)

// TestMappedSegmentFault cuts the file under a mapped segment, as an I/O
// error would: the write fails with an error instead of crashing the host.
func TestMappedSegmentFault(t *testing.T) {
	s, err := createSegment(filepath.Join(t.TempDir(), segmentName(1)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	rec := appendRecord(nil, journalWrites()[0])
	if err := s.writeRecord(rec, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.(*mappedSegment).f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if err := s.writeRecord(rec, 8192); err == nil {
		t.Fatal("a write past the end of the file was reported as written")
	}
}
