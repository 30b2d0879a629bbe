package translog

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Memory is a log held in memory, for test fixtures and stand-in servers
// that must answer with receipts but keep nothing: each Append is its own
// batch, signed at once. It is safe for concurrent use.
type Memory struct {
	signer note.Signer
	mu     sync.Mutex
	hashes []tlog.Hash // stored hashes
	n      int64
	notes  map[int64][]byte // signed checkpoint by tree size
}

// NewMemory returns an empty in-memory log whose checkpoints s signs.
func NewMemory(s note.Signer) (*Memory, error) {
	if s == nil {
		return nil, errors.New("translog: NewMemory needs a signer")
	}
	if err := checkOrigin(s.Name()); err != nil {
		return nil, err
	}
	return &Memory{signer: s, notes: map[int64][]byte{}}, nil
}

// readHashes reads stored hashes; the caller holds mu.
func (m *Memory) readHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("translog: stored hash %d not in memory", x)
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

// Append adds leaf and returns its receipt.
func (m *Memory) Append(leaf []byte) (Receipt, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := tlog.HashReaderFunc(m.readHashes)
	hs, err := tlog.StoredHashes(m.n, leaf, r)
	if err != nil {
		return Receipt{}, err
	}
	m.hashes = append(m.hashes, hs...)
	m.n++
	root, err := tlog.TreeHash(m.n, r)
	if err != nil {
		return Receipt{}, err
	}
	signed, err := signCheckpoint(Checkpoint{Origin: m.signer.Name(), Size: m.n, Hash: root}, m.signer)
	if err != nil {
		return Receipt{}, err
	}
	m.notes[m.n] = signed
	proof, err := tlog.ProveRecord(m.n, m.n-1, r)
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{Index: m.n - 1, Checkpoint: signed, Proof: proof}, nil
}

// Size returns the number of leaves.
func (m *Memory) Size() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n
}

// ConsistencyProof returns the proof that the tree of size newSize
// extends the tree of size oldSize.
func (m *Memory) ConsistencyProof(oldSize, newSize int64) (tlog.TreeProof, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if oldSize < 0 || oldSize > newSize || newSize > m.n {
		return nil, fmt.Errorf("translog: no consistency proof from size %d to %d", oldSize, newSize)
	}
	if oldSize == 0 || oldSize == newSize {
		return tlog.TreeProof{}, nil
	}
	return tlog.ProveTree(newSize, oldSize, tlog.HashReaderFunc(m.readHashes))
}
