package translog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/volact/volact/internal/atomicfile"
	"golang.org/x/mod/sumdb/tlog"
)

// scanResult is what one pass over the log file found.
type scanResult struct {
	// Through the last complete checkpoint record:
	front *frontier
	end   int64
	note  []byte
	ckpt  Checkpoint
	// Leaves after that record, and where the usable records stop.
	uncovered int64
	stop      int64
	// First stored hash that the hashes file lacks or disagrees with, and
	// the first disagreement inside its synced part; -1 if none.
	firstBad, firstBadSynced int64
}

// open opens or creates the files and verifies and repairs the log.
func (l *Log) open() error {
	path := filepath.Join(l.dir, logName)
	header := make([]byte, recordsStart)
	copy(header, fileMagic)
	if err := atomicfile.Create(path, header, 0o600); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("translog: creating %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("translog: %w", err)
	}
	l.f = f
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("translog: %w", err)
	}
	size := st.Size()
	if size < recordsStart {
		return fmt.Errorf("%w: %s is too short to be a log file", ErrCorrupt, path)
	}
	if _, err := f.ReadAt(header, 0); err != nil {
		return fmt.Errorf("translog: %w", err)
	}
	if !bytes.Equal(header[:len(fileMagic)], []byte(fileMagic)) {
		return fmt.Errorf("%w: %s is not a volact transparency log", ErrCorrupt, path)
	}

	// The newest checkpoint ever published, from the slots.
	var known *Checkpoint
	var synced int64
	for i := range 2 {
		s, ok := decodeSlot(header[slotOffset*(i+1) : slotOffset*(i+1)+slotMax])
		if !ok || s.seq <= l.slotSeq {
			continue
		}
		c, err := OpenCheckpoint(s.note, l.verifier)
		if err != nil {
			return fmt.Errorf("%w: the checkpoint in slot %d: %v (opened with another key?)", ErrCorrupt, i, err)
		}
		l.slotSeq, known, synced = s.seq, &c, s.hashesSynced
	}

	hpath := filepath.Join(l.dir, hashesName)
	hf, err := os.OpenFile(hpath, os.O_RDWR, 0)
	defer func() {
		if l.hashes == nil && hf != nil {
			hf.Close() // refused before the log took it over
		}
	}()
	if errors.Is(err, fs.ErrNotExist) {
		synced = 0 // removed by hand to be rebuilt: created once the leaves check out
	} else if err != nil {
		return fmt.Errorf("translog: %w", err)
	}

	res, err := l.scan(size, known, synced, hf, -1)
	if err != nil {
		return err
	}
	if res.firstBadSynced >= 0 {
		return fmt.Errorf("%w: %s disagrees with the leaves at stored hash %d (%s); remove it to rebuild it from the leaves",
			ErrCorrupt, hpath, res.firstBadSynced, describeHash(res.firstBadSynced))
	}
	if known != nil && res.ckpt.Size < known.Size {
		return fmt.Errorf("%w: a checkpoint of size %d was signed but %s holds only %d checkpointed leaves (damage at byte %d); refusing to sign that size again",
			ErrFork, known.Size, path, res.ckpt.Size, res.stop)
	}

	if hf == nil {
		if hf, err = os.OpenFile(hpath, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return fmt.Errorf("translog: %w", err)
		}
	}
	l.hashes = &hashFile{f: hf}
	l.alloc = size
	if size > res.end {
		// Zeros after the last record are the allocated part of the file
		// (allocChunk); anything else there is a torn batch.
		dataEnd, err := l.dataEnd(res.end, size)
		if err != nil {
			return err
		}
		if dataEnd > res.end {
			if err := l.moveAside(res, dataEnd); err != nil {
				return err
			}
			l.alloc = res.end
		}
	}
	count := tlog.StoredHashCount(res.front.n)
	if res.firstBad >= 0 && res.firstBad < count {
		l.recovery.RebuiltHashes = count - res.firstBad
		if _, err := l.scan(res.end, nil, 0, hf, res.firstBad); err != nil {
			return err
		}
	}
	if err := hf.Truncate(count * tlog.HashSize); err != nil {
		return fmt.Errorf("translog: %w", err)
	}
	if err := l.sync(hf); err != nil {
		return fmt.Errorf("translog: %w", err)
	}

	l.front, l.end, l.hashesSynced = res.front, res.end, count
	l.state.size, l.state.end, l.state.note, l.state.tree = res.ckpt.Size, res.end, res.note, res.ckpt
	if err := l.writeSlot(); err != nil {
		return fmt.Errorf("translog: %w", err)
	}
	if err := l.sync(f); err != nil {
		return fmt.Errorf("translog: %w", err)
	}
	return nil
}

// scan reads the log file's records up to size, recomputing every hash
// and checking every checkpoint record and the known checkpoint. It
// compares the hashes file hf (nil if there is none) with the recomputed
// hashes, or, from stored index rewrite on if rewrite >= 0, overwrites it
// with them.
func (l *Log) scan(size int64, known *Checkpoint, synced int64, hf *os.File, rewrite int64) (scanResult, error) {
	res := scanResult{front: &frontier{}, end: recordsStart, firstBad: -1, firstBadSynced: -1}
	r := bufio.NewReaderSize(io.NewSectionReader(l.f, recordsStart, size-recordsStart), 1<<16)
	var hr io.Reader = bytes.NewReader(nil) // no hashes file yet
	if hf != nil {
		hr = bufio.NewReaderSize(io.NewSectionReader(hf, 0, 1<<62), 1<<16)
	}
	var hw *bufio.Writer
	if rewrite >= 0 {
		hw = bufio.NewWriterSize(io.NewOffsetWriter(hf, rewrite*tlog.HashSize), 1<<16)
	}
	front, off := &frontier{}, int64(recordsStart)
	var buf []byte
	var stored, uncovered int64
	var onDisk tlog.Hash
	for {
		typ, payload, b, n, err := readRecord(r, buf)
		buf = b
		if err == io.EOF || errors.Is(err, errTorn) {
			break
		}
		if err != nil {
			return res, fmt.Errorf("translog: reading the log: %w", err)
		}
		if typ == typeLeaf {
			hashes, err := front.add(tlog.RecordHash(payload))
			if err != nil {
				return res, err
			}
			for _, h := range hashes {
				switch {
				case hw != nil && stored >= rewrite:
					if _, err := hw.Write(h[:]); err != nil {
						return res, fmt.Errorf("translog: rebuilding hashes: %w", err)
					}
				case hw != nil:
				case res.firstBad >= 0:
				default:
					if _, err := io.ReadFull(hr, onDisk[:]); err != nil || onDisk != h {
						res.firstBad = stored
						if stored < synced {
							res.firstBadSynced = stored
						}
					}
				}
				stored++
			}
			uncovered++
			if known != nil && front.n == known.Size {
				if root, err := front.root(); err != nil || root != known.Hash {
					return res, l.forkError(known.Size, res)
				}
			}
		} else {
			c, err := OpenCheckpoint(payload, l.verifier)
			if err != nil {
				return res, fmt.Errorf("%w: the checkpoint record at byte %d: %v", ErrCorrupt, off, err)
			}
			root, err := front.root()
			if err != nil {
				return res, err
			}
			if c.Size != front.n {
				return res, fmt.Errorf("%w: the checkpoint record at byte %d is signed for %d leaves but follows %d: leaves were deleted or inserted from leaf %d on; refusing to open",
					ErrFork, off, c.Size, front.n, res.ckpt.Size)
			}
			if c.Hash != root {
				return res, l.forkError(c.Size, res)
			}
			res.front, res.end, res.ckpt = front.clone(), off+n, c
			res.note = append([]byte(nil), payload...)
			uncovered = 0
		}
		off += n
	}
	res.uncovered, res.stop = uncovered, off
	if hw != nil {
		if err := hw.Flush(); err != nil {
			return res, fmt.Errorf("translog: rebuilding hashes: %w", err)
		}
	}
	return res, nil
}

// forkError says that the stored leaves no longer reproduce the signed
// checkpoint of size size, naming the first leaf whose stored hash
// changed if the hashes file still has the old one.
func (l *Log) forkError(size int64, res scanResult) error {
	where := "a leaf was edited, inserted or deleted"
	if res.firstBad >= 0 {
		where = describeHash(res.firstBad) + " differs from the hashes written when it was signed"
	}
	return fmt.Errorf("%w: the stored leaves do not reproduce the signed checkpoint of size %d: %s; refusing to open",
		ErrFork, size, where)
}

// describeHash names the leaves under stored hash index x.
func describeHash(x int64) string {
	level, n := tlog.SplitStoredHashIndex(x)
	if level == 0 {
		return fmt.Sprintf("leaf %d", n)
	}
	return fmt.Sprintf("the hash of leaves %d to %d", n<<level, (n+1)<<level-1)
}

// dataEnd returns the offset after the last byte of the log file in
// [from, size) that is not zero, or from if there is none.
func (l *Log) dataEnd(from, size int64) (int64, error) {
	buf := make([]byte, 1<<16)
	for end := size; end > from; {
		n := min(int64(len(buf)), end-from)
		b := buf[:n]
		if _, err := l.f.ReadAt(b, end-n); err != nil {
			return 0, fmt.Errorf("translog: reading the log: %w", err)
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != 0 {
				return end - n + int64(i) + 1, nil
			}
		}
		end -= n
	}
	return from, nil
}

// moveAside copies the bytes after the last complete checkpoint record,
// up to size, to a torn-* file, then cuts the file after that record.
func (l *Log) moveAside(res scanResult, size int64) error {
	name := fmt.Sprintf("%s%d-%d", tornPrefix, res.end, time.Now().UnixNano())
	out, err := os.OpenFile(filepath.Join(l.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("translog: saving the torn tail: %w", err)
	}
	_, err = io.Copy(out, io.NewSectionReader(l.f, res.end, size-res.end))
	if err == nil {
		err = l.sync(out)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = atomicfile.SyncDir(l.dir)
	}
	if err != nil {
		return fmt.Errorf("translog: saving the torn tail: %w", err)
	}
	if err := l.f.Truncate(res.end); err != nil {
		return fmt.Errorf("translog: cutting the torn tail: %w", err)
	}
	if err := l.sync(l.f); err != nil {
		return fmt.Errorf("translog: %w", err)
	}
	l.recovery.TornBytes, l.recovery.DroppedLeaves, l.recovery.MovedTo = size-res.end, res.uncovered, name
	return nil
}
