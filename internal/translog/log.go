package translog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/gofrs/flock"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// File names inside a log directory.
const (
	logName    = "log"
	hashesName = "hashes"
	lockName   = "lock"
	tornPrefix = "torn-"
)

// allocChunk is how far ahead the log file is allocated: a batch written
// into allocated blocks is made durable with fdatasync, which then writes
// no metadata.
const allocChunk = 1 << 20

// hashSyncEvery is how many bytes of new stored hashes are written before
// the hashes file is synced (off the path of any single Append's sync).
const hashSyncEvery = 1 << 20

// ErrClosed is returned by Append and the other methods after Close.
var ErrClosed = errors.New("translog: log is closed")

// ErrCorrupt means a file of the log is damaged or was edited in a way
// that is not a torn tail: Open refuses rather than guess.
var ErrCorrupt = errors.New("translog: log is corrupt")

// Options configure a Log.
type Options struct {
	// Signer signs checkpoints; its name is the log's origin. Required;
	// see NewSigner.
	Signer note.Signer
	// Verifier checks the checkpoints already stored; it must be the
	// Signer's key. Required; see NewVerifier.
	Verifier note.Verifier
	// MaxLeafSize bounds a leaf's length; 0 means 64 KiB. At most
	// [MaxLeafSize].
	MaxLeafSize int
}

// A Recovery describes what Open repaired after a crash.
type Recovery struct {
	// TornBytes bytes were cut from the end of the log file, holding
	// DroppedLeaves complete leaves that no checkpoint covered (so no
	// Append had returned them); they were moved to MovedTo.
	TornBytes     int64
	DroppedLeaves int64
	MovedTo       string
	// RebuiltHashes stored hashes were rewritten from the leaves.
	RebuiltHashes int64
}

// Stats counts a Log's work since Open.
type Stats struct {
	Appends    int64 // leaves appended
	Batches    int64 // batches written, each one checkpoint
	Signatures int64 // checkpoints signed
	Syncs      int64 // fdatasync calls on the log and hashes files
}

// A Log is an open transparency log. Its methods are safe for concurrent
// use.
type Log struct {
	dir      string
	origin   string
	signer   note.Signer
	verifier note.Verifier
	maxLeaf  int
	lock     *flock.Flock
	f        *os.File
	hashes   *hashFile
	recovery Recovery

	// mu guards the append queue and the leader hand-off.
	mu      sync.Mutex
	queue   []*pending
	leading bool
	closed  bool
	idle    *sync.Cond // signalled when leading turns false

	// Owned by the leader; no lock needed.
	front        *frontier
	end          int64 // file offset after the last checkpoint record
	alloc        int64 // size of the log file: zeros from end to alloc
	slotSeq      uint64
	hashesSynced int64       // stored hashes known to be synced
	hashesDirty  int64       // bytes of hashes written since the last sync
	failed       error       // sticky: the files are in an unknown state
	recBuf       []byte      // a batch's records, reused
	hashBuf      []tlog.Hash // a batch's new stored hashes, reused

	// state guards what readers see: the newest durable checkpoint.
	state struct {
		sync.RWMutex
		size int64
		end  int64
		note []byte
		tree Checkpoint
	}

	appends, batches, signatures, syncs atomic.Int64
}

// Open opens the log in dir, creating dir and the log if needed. It
// verifies the whole log first (see the package documentation) and
// repairs a torn tail; see [Log.Recovery].
func Open(dir string, opts Options) (*Log, error) {
	if opts.Signer == nil || opts.Verifier == nil {
		return nil, errors.New("translog: Options.Signer and Options.Verifier are required")
	}
	if opts.Signer.Name() != opts.Verifier.Name() || opts.Signer.KeyHash() != opts.Verifier.KeyHash() {
		return nil, errors.New("translog: Options.Signer and Options.Verifier are not the same key")
	}
	if err := checkOrigin(opts.Signer.Name()); err != nil {
		return nil, err
	}
	maxLeaf := opts.MaxLeafSize
	if maxLeaf == 0 {
		maxLeaf = 64 << 10
	}
	if maxLeaf < 0 || maxLeaf > MaxLeafSize {
		return nil, fmt.Errorf("translog: MaxLeafSize %d outside 1..%d", maxLeaf, MaxLeafSize)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("translog: %w", err)
	}
	lk := flock.New(filepath.Join(dir, lockName))
	locked, err := lk.TryLock()
	if err != nil {
		return nil, fmt.Errorf("translog: locking %s: %w", dir, err)
	}
	if !locked {
		return nil, fmt.Errorf("translog: %s is open in another process", dir)
	}
	l := &Log{
		dir: dir, origin: opts.Signer.Name(), signer: opts.Signer, verifier: opts.Verifier,
		maxLeaf: maxLeaf, lock: lk, front: &frontier{},
	}
	l.idle = sync.NewCond(&l.mu)
	if err := l.open(); err != nil {
		l.closeFiles()
		return nil, err
	}
	return l, nil
}

// Origin returns the log's origin, the name in its checkpoints.
func (l *Log) Origin() string { return l.origin }

// Recovery reports what Open repaired; the zero value if nothing.
func (l *Log) Recovery() Recovery { return l.recovery }

// Stats returns counters of the log's work since Open.
func (l *Log) Stats() Stats {
	return Stats{Appends: l.appends.Load(), Batches: l.batches.Load(),
		Signatures: l.signatures.Load(), Syncs: l.syncs.Load()}
}

// Size returns the number of leaves covered by the newest checkpoint.
func (l *Log) Size() int64 {
	l.state.RLock()
	defer l.state.RUnlock()
	return l.state.size
}

// Checkpoint returns the newest signed checkpoint note, or nil while the
// log is empty.
func (l *Log) Checkpoint() []byte {
	l.state.RLock()
	defer l.state.RUnlock()
	return l.state.note
}

// RecordProof returns the inclusion proof of leaf index in the tree of
// size size (at most Size()), to re-prove an old receipt against a newer
// checkpoint.
func (l *Log) RecordProof(index, size int64) (tlog.RecordProof, error) {
	if err := l.checkSize(size); err != nil {
		return nil, err
	}
	if index < 0 || index >= size {
		return nil, fmt.Errorf("translog: leaf %d outside tree of size %d", index, size)
	}
	return tlog.ProveRecord(size, index, l.hashes)
}

// ConsistencyProof returns the proof that the tree of size newSize (at
// most Size()) extends the tree of size oldSize; see [VerifyConsistency].
func (l *Log) ConsistencyProof(oldSize, newSize int64) (tlog.TreeProof, error) {
	if err := l.checkSize(newSize); err != nil {
		return nil, err
	}
	if oldSize < 0 || oldSize > newSize {
		return nil, fmt.Errorf("translog: no consistency proof from size %d to %d", oldSize, newSize)
	}
	if oldSize == 0 || oldSize == newSize {
		return tlog.TreeProof{}, nil
	}
	return tlog.ProveTree(newSize, oldSize, l.hashes)
}

// checkSize checks that size is a tree the log has signed.
func (l *Log) checkSize(size int64) error {
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if n := l.Size(); size < 0 || size > n {
		return fmt.Errorf("translog: tree size %d outside 0..%d", size, n)
	}
	return nil
}

// Close waits for the batch being written, writes the newest checkpoint
// to its slot, syncs the files and releases the log. Appends waiting for
// a batch fail with ErrClosed. Call it after Export and the proof methods
// have returned.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.closed = true
	for l.leading {
		l.idle.Wait()
	}
	for _, p := range l.queue {
		p.err = ErrClosed
		p.wake <- struct{}{}
	}
	l.queue = nil
	l.mu.Unlock()

	var err error
	if l.failed == nil {
		err = l.syncHashes()
		if err == nil {
			err = l.writeSlot()
		}
		if err == nil && l.alloc > l.end {
			err = l.f.Truncate(l.end) // a closed log ends at its last record
		}
		if err == nil {
			err = l.sync(l.f)
		}
	}
	if cerr := l.closeFiles(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("translog: closing: %w", err)
	}
	return nil
}

// closeFiles closes whatever is open and releases the lock.
func (l *Log) closeFiles() error {
	var errs []error
	if l.f != nil {
		errs = append(errs, l.f.Close())
	}
	if l.hashes != nil {
		errs = append(errs, l.hashes.f.Close())
	}
	errs = append(errs, l.lock.Unlock())
	return errors.Join(errs...)
}

// sync makes f's data durable (fdatasync: with its size, without its
// times) and counts it.
func (l *Log) sync(f *os.File) error {
	l.syncs.Add(1)
	return datasync(f)
}

// syncHashes syncs the hashes file if anything was written since the
// last sync, and records how many hashes are now synced.
func (l *Log) syncHashes() error {
	if l.hashesDirty == 0 {
		return nil
	}
	if err := l.sync(l.hashes.f); err != nil {
		return err
	}
	l.hashesDirty = 0
	l.hashesSynced = tlog.StoredHashCount(l.front.n)
	return nil
}

// writeSlot writes the newest durable checkpoint to the older slot. It
// becomes durable with the next sync of the log file.
func (l *Log) writeSlot() error {
	l.state.RLock()
	n := l.state.note
	l.state.RUnlock()
	if n == nil {
		return nil
	}
	l.slotSeq++
	b, err := encodeSlot(slot{seq: l.slotSeq, hashesSynced: l.hashesSynced, note: n})
	if err != nil {
		return err
	}
	_, err = l.f.WriteAt(b, slotOffset*int64(1+l.slotSeq%2))
	return err
}
