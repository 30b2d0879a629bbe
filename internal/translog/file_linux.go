package translog

import (
	"os"

	"golang.org/x/sys/unix"
)

// allocate extends f to size bytes of zeros with its blocks allocated, so
// that writing into them later changes no metadata that [datasync] must
// write.
func allocate(f *os.File, size int64) error {
	return unix.Fallocate(int(f.Fd()), 0, 0, size)
}

// datasync flushes f's data and the metadata needed to read it back
// (fdatasync), not its times.
func datasync(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if err != unix.EINTR {
			return err
		}
	}
}
