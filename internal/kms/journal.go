package kms

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/volact/volact/internal/hresult"
)

// The journal is the host's log of requests not yet in the database. Each
// request is written to the current segment (journal-<seq>.log) before it
// is answered, into the operating system's page cache, so a crash or
// kill -9 of the host loses nothing it answered; the applier moves
// segments into SQLite in batches and deletes them.
//
// A segment is a file of segmentSize bytes, allocated when it is created,
// holding a sequence of records and then zeros:
//
//	u32 payload length | u32 CRC-32C of the payload | payload
//
// and a payload is a flags byte (1 = counted, 2 = refused), the time (varint Unix
// nanoseconds), the count (varint), then CMID, group, SKU, result, client
// address and evicted CMID, each a uvarint length and its bytes. A zero
// length ends the segment; a record that is cut short or fails its
// checksum ends it too, and is reported as damage.
const (
	segmentPrefix = "journal-"
	segmentSuffix = ".log"
	segmentSize   = 1 << 20
	recordHeader  = 8
	maxPayload    = 4 << 10
	flagCounted   = 1
	flagRefused   = 2 // a refused request: only its time and reason (in Result)
)

// segmentFile is an open segment.
type segmentFile interface {
	// writeRecord writes one encoded record at off; when it returns nil the
	// record outlives the process.
	writeRecord(rec []byte, off int64) error
	close() error
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segmentName is the file name of segment seq.
func segmentName(seq uint64) string {
	return fmt.Sprintf("%s%020d%s", segmentPrefix, seq, segmentSuffix)
}

// appendRecord appends w, encoded as one record, to b.
func appendRecord(b []byte, w write) []byte {
	start := len(b)
	b = append(b, make([]byte, recordHeader)...)
	var flags byte
	if w.counted {
		flags |= flagCounted
	}
	if w.refused {
		flags |= flagRefused
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, w.hist.Time.UnixNano())
	b = binary.AppendVarint(b, int64(w.hist.Count))
	for _, s := range [...]string{w.hist.CMID, w.hist.Group, w.hist.SKU, w.hist.Result, w.hist.Addr, w.evicted} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	payload := b[start+recordHeader:]
	binary.LittleEndian.PutUint32(b[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(payload, castagnoli))
	return b
}

var errBadRecord = errors.New("damaged journal record")

// decodeRecords decodes the records at the start of data. It stops at the
// first record that is cut short or damaged and returns the records before
// it, with errBadRecord if any bytes were left over.
func decodeRecords(data []byte) ([]write, error) {
	ws, _, err := decodeRecordsAt(data)
	return ws, err
}

// decodeRecordsAt is decodeRecords that also returns where the records it
// returns end: where the damage starts, when there is some.
func decodeRecordsAt(all []byte) (out []write, end int, err error) {
	data := all
	defer func() { end = len(all) - len(data) }()
	for len(data) > 0 {
		if len(data) < recordHeader {
			if allZero(data) {
				return out, 0, nil
			}
			return out, 0, errBadRecord
		}
		n := binary.LittleEndian.Uint32(data)
		if n == 0 {
			return out, 0, nil
		}
		if n > maxPayload || int(n) > len(data)-recordHeader {
			return out, 0, errBadRecord
		}
		payload := data[recordHeader : recordHeader+int(n)]
		if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(data[4:]) {
			return out, 0, errBadRecord
		}
		w, ok := decodePayload(payload)
		if !ok {
			return out, 0, errBadRecord
		}
		out = append(out, w)
		data = data[recordHeader+int(n):]
	}
	return out, 0, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func decodePayload(p []byte) (write, bool) {
	var w write
	if len(p) < 1 || p[0]&^(flagCounted|flagRefused) != 0 || p[0] == flagCounted|flagRefused {
		return w, false
	}
	w.counted, w.refused = p[0]&flagCounted != 0, p[0]&flagRefused != 0
	p = p[1:]
	t, n := binary.Varint(p)
	if n <= 0 {
		return w, false
	}
	p = p[n:]
	count, n := binary.Varint(p)
	if n <= 0 || count < -1 || count > 1<<31 {
		return w, false
	}
	p = p[n:]
	w.hist.Time, w.hist.Count = time.Unix(0, t).UTC(), int(count)
	for _, s := range [...]*string{&w.hist.CMID, &w.hist.Group, &w.hist.SKU, &w.hist.Result, &w.hist.Addr, &w.evicted} {
		l, n := binary.Uvarint(p)
		if n <= 0 || l > uint64(len(p)-n) {
			return w, false
		}
		*s = string(p[n : n+int(l)])
		p = p[n+int(l):]
	}
	return w, len(p) == 0
}

// segment is one journal file read back.
type segment struct {
	seq     uint64
	writes  []write
	damaged bool // bytes after the last good record
	lost    int  // bytes from the damage to the segment's last non-zero byte
	lostRec int  // records from the damage on (lostRecords)
}

// listSegments returns the sequence numbers of the segments in dir, in order.
func listSegments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var seqs []uint64
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, segmentPrefix) || !strings.HasSuffix(name, segmentSuffix) {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, segmentPrefix), segmentSuffix), 10, 64)
		if err == nil {
			seqs = append(seqs, seq)
		}
	}
	slices.Sort(seqs)
	return seqs, nil
}

// readSegments reads every segment in dir after the one numbered after. A
// segment deleted while it is read (the host applied it) is skipped.
func readSegments(dir string, after uint64) ([]segment, error) {
	seqs, err := listSegments(dir)
	if err != nil {
		return nil, err
	}
	var out []segment
	for _, seq := range seqs {
		if seq <= after {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, segmentName(seq)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ws, end, err := decodeRecordsAt(data)
		for i := range ws {
			ws[i].seq, ws[i].rec = seq, uint32(i)
		}
		s := segment{seq: seq, writes: ws, damaged: err != nil}
		if s.damaged {
			s.lost = max(len(bytes.TrimRight(data, "\x00"))-end, 1)
			s.lostRec = lostRecords(data[end:])
		}
		out = append(out, s)
	}
	return out, nil
}

// removeSegments deletes the segments numbered up to and including upTo.
func removeSegments(dir string, upTo uint64) error {
	seqs, err := listSegments(dir)
	if err != nil {
		return err
	}
	for _, seq := range seqs {
		if seq > upTo {
			break
		}
		if err := os.Remove(filepath.Join(dir, segmentName(seq))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// journal appends requests to the current segment and hands them to the
// applier.
type journal struct {
	dir     string
	kickAt  int           // pending writes that wake the applier early
	kick    chan struct{} // wakes the applier
	mu      sync.Mutex
	f       segmentFile // nil once closed
	seq     uint64      // number of the current segment
	rec     uint32      // number of the next record in it
	off     int64       // where its next record goes
	buf     []byte
	pending []write // written to segments up to seq, not yet taken by the applier
}

// openJournal starts segment seq in dir.
func openJournal(dir string, seq uint64, kickAt int) (*journal, error) {
	j := &journal{dir: dir, kickAt: kickAt, kick: make(chan struct{}, 1)}
	f, err := j.create(seq)
	if err != nil {
		return nil, err
	}
	j.f, j.seq = f, seq
	return j, nil
}

func (j *journal) create(seq uint64) (segmentFile, error) {
	f, err := createSegment(filepath.Join(j.dir, segmentName(seq)))
	if err != nil {
		return nil, dbErr(err, "cannot create the KMS host journal")
	}
	return f, nil
}

// next closes the current segment and starts the following one.
func (j *journal) next() error {
	f, err := j.create(j.seq + 1)
	if err != nil {
		return err
	}
	_ = j.f.close()
	j.f, j.seq, j.off, j.rec = f, j.seq+1, 0, 0
	return nil
}

// append writes w to the current segment, starting the next one when it
// is full. When it returns nil the record outlives the process. A failed
// write is overwritten by the next one.
func (j *journal) append(w write) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return hresult.New(hresult.ServiceFailure, "the KMS host is shutting down").WithHint("retry in a moment")
	}
	j.buf = appendRecord(j.buf[:0], w)
	if j.off+int64(len(j.buf)) > segmentSize {
		if err := j.next(); err != nil {
			return err
		}
	}
	if err := j.f.writeRecord(j.buf, j.off); err != nil {
		return dbErr(err, "cannot write the KMS host journal").
			WithHint("the request was not recorded; check the disk of the KMS host and retry")
	}
	j.off += int64(len(j.buf))
	w.seq, w.rec = j.seq, j.rec // the record's identity, as readSegments finds it
	j.rec++
	j.pending = append(j.pending, w)
	if len(j.pending) == j.kickAt {
		select {
		case j.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// rotate hands the applier what was written since the last rotate, with
// the number of the last segment holding it, and starts a new segment so
// that those segments are closed. With nothing written it returns no
// writes and segment 0. If the new segment cannot be created, nothing
// changes.
func (j *journal) rotate() ([]write, uint64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil, 0, hresult.New(hresult.ServiceFailure, "the KMS host journal is closed")
	}
	if len(j.pending) == 0 {
		return nil, 0, nil
	}
	if j.off > 0 {
		if err := j.next(); err != nil {
			return nil, 0, err
		}
	}
	ws := j.pending
	j.pending = nil
	return ws, j.seq - 1, nil
}

// close stops the journal and returns what was written since the last
// rotate, with the number of the last segment.
func (j *journal) close() ([]write, uint64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f != nil {
		_ = j.f.close()
		j.f = nil
	}
	ws := j.pending
	j.pending = nil
	return ws, j.seq
}

// pendingLen is the number of requests written since the last rotate.
func (j *journal) pendingLen() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.pending)
}
