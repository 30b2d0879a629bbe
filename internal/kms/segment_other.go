//go:build !linux

package kms

import "os"

// fileSegment is a segment file sized up front and written with one
// write per record, which is in the operating system's cache, and so
// outlives the process, when the write returns.
type fileSegment struct{ f *os.File }

func createSegment(path string) (segmentFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(segmentSize); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return fileSegment{f}, nil
}

func (s fileSegment) writeRecord(rec []byte, off int64) error {
	_, err := s.f.WriteAt(rec, off)
	return err
}

func (s fileSegment) close() error { return s.f.Close() }
