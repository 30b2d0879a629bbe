package translog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/bits"
	"os"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// Layout of the log file; see the package documentation.
const (
	fileMagic    = "volact-tlog v1\n\x00"
	slotOffset   = 4096 // slot i is at slotOffset*(i+1)
	slotMax      = 2048
	recordsStart = 3 * 4096
	recordHeader = 8
	typeLeaf     = 'L'
	typeCkpt     = 'C'

	// MaxLeafSize is the largest leaf a log accepts.
	MaxLeafSize = 1 << 20
	maxRecord   = 1 + MaxLeafSize
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errTorn marks a record that is cut short, fails its checksum or makes
// no sense: the end of the usable part of a log file.
var errTorn = errors.New("torn or damaged record")

// appendRecord appends one record of type typ to b.
func appendRecord(b []byte, typ byte, payload []byte) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0, typ)
	b = append(b, payload...)
	body := b[start+recordHeader:]
	binary.LittleEndian.PutUint32(b[start:], uint32(len(body)))
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(body, castagnoli))
	return b
}

// readRecord reads the next record from r into buf (which it may grow) and
// returns its type, payload and size in the file. At the clean end of the
// file it returns io.EOF; for a cut or damaged record, errTorn.
func readRecord(r io.Reader, buf []byte) (typ byte, payload, newBuf []byte, size int64, err error) {
	var hdr [recordHeader]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.EOF {
			return 0, nil, buf, 0, io.EOF
		}
		if err == io.ErrUnexpectedEOF {
			return 0, nil, buf, 0, errTorn
		}
		return 0, nil, buf, 0, err
	}
	n := binary.LittleEndian.Uint32(hdr[:4])
	if n < 1 || n > maxRecord {
		return 0, nil, buf, 0, errTorn
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	body := buf[:n]
	if _, err := io.ReadFull(r, body); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return 0, nil, buf, 0, errTorn
		}
		return 0, nil, buf, 0, err
	}
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(hdr[4:]) {
		return 0, nil, buf, 0, errTorn
	}
	if body[0] != typeLeaf && body[0] != typeCkpt {
		return 0, nil, buf, 0, errTorn
	}
	return body[0], body[1:], buf, recordHeader + int64(n), nil
}

// A slot records a checkpoint already on stable storage and how many
// stored hashes of the hashes file are synced.
type slot struct {
	seq          uint64
	hashesSynced int64
	note         []byte
}

// encodeSlot returns s as written at a slot offset.
func encodeSlot(s slot) ([]byte, error) {
	b := make([]byte, 8, 8+16+len(s.note))
	b = binary.LittleEndian.AppendUint64(b, s.seq)
	b = binary.LittleEndian.AppendUint64(b, uint64(s.hashesSynced))
	b = append(b, s.note...)
	if len(b) > slotMax {
		return nil, fmt.Errorf("translog: checkpoint of %d bytes does not fit a slot", len(s.note))
	}
	binary.LittleEndian.PutUint32(b, uint32(len(b)-8))
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(b[8:], castagnoli))
	return b, nil
}

// decodeSlot parses the bytes at a slot offset; ok is false for an empty
// or damaged slot.
func decodeSlot(b []byte) (s slot, ok bool) {
	if len(b) < 8 {
		return slot{}, false
	}
	n := binary.LittleEndian.Uint32(b)
	if n < 16 || int(n) > len(b)-8 || crc32.Checksum(b[8:8+n], castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return slot{}, false
	}
	body := b[8 : 8+n]
	s.seq = binary.LittleEndian.Uint64(body)
	s.hashesSynced = int64(binary.LittleEndian.Uint64(body[8:]))
	s.note = append([]byte(nil), body[16:]...)
	return s, s.hashesSynced >= 0
}

// A frontier holds the stored hashes of the complete subtrees along the
// right edge of a tree of n leaves, which is all that
// tlog.StoredHashesForRecordHash and tlog.TreeHash read: at most 64.
type frontier struct {
	n       int64
	entries []frontierEntry
}

type frontierEntry struct {
	index int64
	hash  tlog.Hash
}

// ReadHashes implements tlog.HashReader over the frontier.
func (f *frontier) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
next:
	for i, x := range indexes {
		for _, e := range f.entries {
			if e.index == x {
				out[i] = e.hash
				continue next
			}
		}
		return nil, fmt.Errorf("translog: hash %d is not on the frontier of tree %d", x, f.n)
	}
	return out, nil
}

// add appends the leaf with record hash h and returns the stored hashes it
// adds, in stored-index order from tlog.StoredHashCount(n).
func (f *frontier) add(h tlog.Hash) ([]tlog.Hash, error) {
	hashes, err := tlog.StoredHashesForRecordHash(f.n, h, f)
	if err != nil {
		return nil, err
	}
	first := tlog.StoredHashCount(f.n)
	f.n++
	// The new frontier: for each bit l set in n, the subtree at level l
	// that ends at the (n>>l)-th node of that level.
	kept := f.entries[:0:0]
	for l := 0; l < 64; l++ {
		if f.n>>l&1 == 0 {
			continue
		}
		idx := tlog.StoredHashIndex(l, f.n>>l-1)
		if idx >= first {
			kept = append(kept, frontierEntry{idx, hashes[idx-first]})
			continue
		}
		for _, e := range f.entries {
			if e.index == idx {
				kept = append(kept, e)
			}
		}
	}
	if len(kept) != bits.OnesCount64(uint64(f.n)) {
		return nil, fmt.Errorf("translog: frontier of tree %d lost a hash", f.n)
	}
	f.entries = kept
	return hashes, nil
}

// root returns the root hash of the tree.
func (f *frontier) root() (tlog.Hash, error) { return tlog.TreeHash(f.n, f) }

// clone returns a copy of f.
func (f *frontier) clone() *frontier {
	return &frontier{n: f.n, entries: append([]frontierEntry(nil), f.entries...)}
}

// hashCacheSize is the number of hashes a hashFile keeps in memory.
const hashCacheSize = 1 << 12

// A hashFile is the "hashes" file: stored hash i at offset 32*i, read
// through a small direct-mapped cache. It is safe for concurrent use.
type hashFile struct {
	f     *os.File
	mu    sync.Mutex
	cache [hashCacheSize]frontierEntry // index+1 in index, 0 = empty
	buf   []byte                       // write's buffer; write is not concurrent
}

// ReadHashes implements tlog.HashReader.
func (h *hashFile) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		slot := &h.cache[x%hashCacheSize]
		h.mu.Lock()
		hit := slot.index == x+1
		out[i] = slot.hash
		h.mu.Unlock()
		if hit {
			continue
		}
		if _, err := h.f.ReadAt(out[i][:], x*tlog.HashSize); err != nil {
			return nil, fmt.Errorf("translog: reading stored hash %d: %w", x, err)
		}
		h.mu.Lock()
		*slot = frontierEntry{x + 1, out[i]}
		h.mu.Unlock()
	}
	return out, nil
}

// write writes hashes at stored index start on, and caches them.
func (h *hashFile) write(start int64, hashes []tlog.Hash) error {
	buf := h.buf[:0]
	for _, x := range hashes {
		buf = append(buf, x[:]...)
	}
	h.buf = buf
	if _, err := h.f.WriteAt(buf, start*tlog.HashSize); err != nil {
		return err
	}
	h.mu.Lock()
	for i, x := range hashes {
		idx := start + int64(i)
		h.cache[idx%hashCacheSize] = frontierEntry{idx + 1, x}
	}
	h.mu.Unlock()
	return nil
}
