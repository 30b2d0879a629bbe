package translog

import (
	"context"
	"fmt"
	"slices"

	"golang.org/x/mod/sumdb/tlog"
)

// A pending is one Append waiting for its batch.
type pending struct {
	leaf []byte
	wake chan struct{} // one signal: lead the next batch, or done
	// Guarded by Log.mu.
	lead  bool // woken to lead the next batch
	taken bool // in a batch being written: the outcome must be awaited
	// Set by the batch's leader before the wake.
	receipt Receipt
	err     error
}

// Append adds leaf to the log and returns its receipt once the batch it
// belongs to and a checkpoint covering it are on stable storage.
//
// Appends from many goroutines are grouped: the first caller writes and
// signs a batch of its own leaf at once; callers that arrive meanwhile
// queue up and form the next batch, written by one of them with one fdatasync
// and one signature. ctx bounds only the wait in the queue: once a leaf is
// in a batch being written, Append waits for the outcome. After a write or
// sync error every Append fails; reopen the log to recover. The receipt's
// Checkpoint is shared with other receipts: do not modify it.
func (l *Log) Append(ctx context.Context, leaf []byte) (Receipt, error) {
	if len(leaf) > l.maxLeaf {
		return Receipt{}, fmt.Errorf("translog: leaf of %d bytes exceeds the limit of %d", len(leaf), l.maxLeaf)
	}
	if err := ctx.Err(); err != nil {
		return Receipt{}, err
	}
	p := &pending{leaf: leaf, wake: make(chan struct{}, 1)}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return Receipt{}, ErrClosed
	}
	l.queue = append(l.queue, p)
	if !l.leading {
		l.leading = true
		l.mu.Unlock()
		l.lead()
		return p.receipt, p.err
	}
	l.mu.Unlock()

	select {
	case <-p.wake:
	case <-ctx.Done():
		l.mu.Lock()
		if !p.taken && !p.lead {
			l.queue = slices.DeleteFunc(l.queue, func(q *pending) bool { return q == p })
			l.mu.Unlock()
			return Receipt{}, ctx.Err()
		}
		l.mu.Unlock()
		<-p.wake
	}
	if p.lead {
		l.lead()
	}
	return p.receipt, p.err
}

// lead writes the queue as one batch, then hands the lead to the first
// caller that queued meanwhile, or steps down.
func (l *Log) lead() {
	l.mu.Lock()
	batch := l.queue
	l.queue = nil
	for _, p := range batch {
		p.taken = true
	}
	l.mu.Unlock()

	l.commit(batch)

	l.mu.Lock()
	if len(l.queue) == 0 || l.closed {
		l.leading = false
		l.idle.Broadcast()
		l.mu.Unlock()
	} else {
		next := l.queue[0]
		next.lead = true
		l.mu.Unlock()
		next.wake <- struct{}{}
	}
	for _, p := range batch {
		p.wake <- struct{}{}
	}
}

// commit writes batch: the previous checkpoint into a slot, the leaf
// records and the new checkpoint record in one write, the new hashes,
// then one fdatasync of the log file. Then it publishes the checkpoint and
// fills in each pending's receipt.
func (l *Log) commit(batch []*pending) {
	if err := l.write(batch); err != nil {
		if l.failed == nil {
			l.failed = fmt.Errorf("translog: writing a batch: %w (reopen the log to recover)", err)
		}
		for _, p := range batch {
			p.err = l.failed
		}
	}
}

// write does the work of commit; an error leaves the log failed.
func (l *Log) write(batch []*pending) error {
	if l.failed != nil {
		return l.failed
	}
	if err := l.writeSlot(); err != nil {
		return err
	}
	start := l.front.n
	firstHash := tlog.StoredHashCount(start)
	// The leader's buffers, reused from batch to batch: nothing keeps them.
	size := 0
	for _, p := range batch {
		size += recordHeader + 1 + len(p.leaf)
	}
	rec := slices.Grow(l.recBuf[:0], size+recordHeader+1+512)
	hashes := l.hashBuf[:0]
	defer func() { l.recBuf, l.hashBuf = rec[:0], hashes[:0] }()
	for _, p := range batch {
		rec = appendRecord(rec, typeLeaf, p.leaf)
		hs, err := l.front.add(tlog.RecordHash(p.leaf))
		if err != nil {
			return err
		}
		hashes = append(hashes, hs...)
	}
	root, err := l.front.root()
	if err != nil {
		return err
	}
	tree := Checkpoint{Origin: l.origin, Size: l.front.n, Hash: root}
	signed, err := signCheckpoint(tree, l.signer)
	if err != nil {
		return err
	}
	l.signatures.Add(1)
	rec = appendRecord(rec, typeCkpt, signed)
	if need := l.end + int64(len(rec)); need > l.alloc {
		size := (need + allocChunk - 1) / allocChunk * allocChunk
		if err := allocate(l.f, size); err != nil {
			return err
		}
		l.alloc = size
	}
	if _, err := l.f.WriteAt(rec, l.end); err != nil {
		return err
	}
	if err := l.hashes.write(firstHash, hashes); err != nil {
		return err
	}
	if err := l.sync(l.f); err != nil {
		return err
	}
	l.end += int64(len(rec))
	l.hashesDirty += int64(len(hashes)) * tlog.HashSize
	if l.hashesDirty >= hashSyncEvery {
		if err := l.syncHashes(); err != nil {
			return err
		}
	}

	l.state.Lock()
	l.state.size, l.state.end, l.state.note, l.state.tree = tree.Size, l.end, signed, tree
	l.state.Unlock()
	l.batches.Add(1)
	l.appends.Add(int64(len(batch)))

	for i, p := range batch {
		idx := start + int64(i)
		proof, err := tlog.ProveRecord(tree.Size, idx, l.hashes)
		if err != nil {
			p.err = fmt.Errorf("translog: proving leaf %d: %w", idx, err)
			continue
		}
		p.receipt = Receipt{Index: idx, Checkpoint: signed, Proof: proof}
	}
	return nil
}
