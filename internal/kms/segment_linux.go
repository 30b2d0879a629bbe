package kms

import (
	"fmt"
	"os"
	"runtime/debug"

	"golang.org/x/sys/unix"
)

// mappedSegment is a segment file with its blocks allocated up front
// (fallocate, so a full disk shows at creation, not as a fault later) and
// mapped shared into memory: a record is copied in, with no system call,
// and is in the page cache, which outlives the process, as soon as the
// copy ends.
type mappedSegment struct {
	f    *os.File
	data []byte
}

func createSegment(path string) (segmentFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Fallocate(int(f.Fd()), 0, 0, segmentSize); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("allocate %s: %w", path, err)
	}
	data, err := unix.Mmap(int(f.Fd()), 0, segmentSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("map %s: %w", path, err)
	}
	return &mappedSegment{f: f, data: data}, nil
}

// writeRecord copies the payload first and the header last, so a copy cut
// short leaves a zero header, which ends the segment cleanly. A fault of
// the mapping (an I/O error) becomes an error, not a crash.
func (s *mappedSegment) writeRecord(rec []byte, off int64) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("write to the journal mapping: %v", r)
		}
	}()
	copy(s.data[off+recordHeader:], rec[recordHeader:])
	copy(s.data[off:off+recordHeader], rec[:recordHeader])
	return nil
}

func (s *mappedSegment) close() error {
	err := unix.Munmap(s.data)
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}
