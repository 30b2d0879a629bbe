package kms

import (
	"os"
	"path/filepath"
)

// LogSize is the size on disk of a host's transparency log (issue 12,
// item 8): its leaves, and the bytes of its two files.
type LogSize struct {
	Leaves      int64 `json:"leaves"`
	LogBytes    int64 `json:"log_bytes"`    // DIR/log/log: header, slots, leaf and checkpoint records
	HashesBytes int64 `json:"hashes_bytes"` // DIR/log/hashes: the stored Merkle hashes, 32 bytes each
}

// PerLeaf returns the bytes per leaf of the log file, of the hashes file,
// and of both; zeros for an empty log.
func (s LogSize) PerLeaf() (log, hashes, total float64) {
	if s.Leaves == 0 {
		return 0, 0, 0
	}
	n := float64(s.Leaves)
	return float64(s.LogBytes) / n, float64(s.HashesBytes) / n, float64(s.LogBytes+s.HashesBytes) / n
}

// ReadLogSize opens the log of the stopped host in dir (verifying it, as
// kms serve does) and returns its size. The host must not be running.
func ReadLogSize(dir string) (LogSize, error) {
	lock, err := lockDir(dir, false)
	if err != nil {
		return LogSize{}, err
	}
	defer lock.unlock()
	signer, err := readSigner(filepath.Join(dir, KeyFile))
	if err != nil {
		return LogSize{}, err
	}
	l, err := OpenLog(dir, signer)
	if err != nil {
		return LogSize{}, err
	}
	s := LogSize{Leaves: l.Size()}
	if err := l.Close(); err != nil {
		return LogSize{}, err
	}
	for name, n := range map[string]*int64{"log": &s.LogBytes, "hashes": &s.HashesBytes} {
		if st, err := os.Stat(filepath.Join(dir, LogDir, name)); err == nil {
			*n = st.Size()
		}
	}
	return s, nil
}
