package tlogverify

import (
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrFork means two signed views of a log disagree: a checkpoint that
// does not extend an earlier one, or stored leaves that no longer
// reproduce a checkpoint already signed.
var ErrFork = errors.New("translog: forked history")

// emptyTree is the root hash of the tree of size 0.
var emptyTree, _ = tlog.TreeHash(0, nil)

// A Receipt is what [Log.Append] returns for one leaf: everything a client
// needs to check that the leaf is in the log. It marshals to JSON as
// {"index": n, "checkpoint": base64, "proof": [base64, ...]}.
type Receipt struct {
	// Index is the leaf's position in the log, from 0.
	Index int64 `json:"index"`
	// Checkpoint is the signed note of a tree that contains the leaf.
	Checkpoint []byte `json:"checkpoint"`
	// Proof is the inclusion proof of the leaf in that tree.
	Proof tlog.RecordProof `json:"proof"`
}

// VerifyReceipt checks that leaf is the leaf r.Index of the tree whose
// checkpoint r carries, signed by v. It returns the checkpoint, which a
// client keeps to check later checkpoints with [VerifyConsistency].
func VerifyReceipt(leaf []byte, r Receipt, v note.Verifier) (Checkpoint, error) {
	c, err := OpenCheckpoint(r.Checkpoint, v)
	if err != nil {
		return Checkpoint{}, err
	}
	if r.Index < 0 || r.Index >= c.Size {
		return Checkpoint{}, fmt.Errorf("translog: receipt index %d outside tree of size %d", r.Index, c.Size)
	}
	if err := tlog.CheckRecord(r.Proof, c.Size, c.Hash, r.Index, tlog.RecordHash(leaf)); err != nil {
		return Checkpoint{}, fmt.Errorf("translog: leaf %d is not in the tree of size %d: %w", r.Index, c.Size, err)
	}
	return c, nil
}

// VerifyConsistency checks that the signed checkpoint newer extends the
// signed checkpoint older (both signed by v): proof, from
// [Log.ConsistencyProof], shows the older tree is a prefix of the newer
// one. The checkpoints may come in either order of size; an error
// wrapping [ErrFork] means the log showed two incompatible histories.
func VerifyConsistency(older, newer []byte, proof tlog.TreeProof, v note.Verifier) error {
	o, err := OpenCheckpoint(older, v)
	if err != nil {
		return fmt.Errorf("older %w", err)
	}
	n, err := OpenCheckpoint(newer, v)
	if err != nil {
		return fmt.Errorf("newer %w", err)
	}
	if o.Size > n.Size {
		o, n = n, o
	}
	return CheckConsistency(o, n, proof)
}

// CheckConsistency is [VerifyConsistency] for checkpoints whose
// signatures the caller has already checked (with [OpenCheckpoint] or
// [VerifyReceipt]); older must not be larger than newer.
func CheckConsistency(older, newer Checkpoint, proof tlog.TreeProof) error {
	switch {
	case older.Origin != newer.Origin:
		return fmt.Errorf("translog: checkpoints of different logs %q and %q", older.Origin, newer.Origin)
	case older.Size > newer.Size:
		return fmt.Errorf("translog: older checkpoint (size %d) is larger than newer (size %d)", older.Size, newer.Size)
	case older.Size == newer.Size:
		if older.Hash != newer.Hash {
			return fmt.Errorf("%w: two trees of size %d with roots %v and %v", ErrFork, older.Size, older.Hash, newer.Hash)
		}
		if len(proof) != 0 {
			return errors.New("translog: consistency proof between equal trees must be empty")
		}
		return nil
	case older.Size == 0:
		if older.Hash != emptyTree {
			return fmt.Errorf("%w: empty tree with root %v", ErrFork, older.Hash)
		}
		return nil // every tree extends the empty one
	}
	if err := tlog.CheckTree(proof, newer.Size, newer.Hash, older.Size, older.Hash); err != nil {
		return fmt.Errorf("%w: tree of size %d does not extend tree of size %d: %v", ErrFork, newer.Size, older.Size, err)
	}
	return nil
}
