package trueup

import (
	"bufio"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/translog"
)

// Report is what `volactd ledger verify` prints: the log, its newest
// checkpoint, and the true-up computed from its leaves.
type Report struct {
	Signer      Signer `json:"signer"`
	Leaves      int64  `json:"leaves"`
	Checkpoints int    `json:"checkpoints"`
	TreeSize    int64  `json:"tree_size"`
	RootHash    string `json:"root_hash"`
	Checkpoint  string `json:"checkpoint"` // the newest signed checkpoint
	TrueUp
}

// Verify checks the export r offline: every checkpoint's signature by
// the certificates' key (chained to root when root is set), every tree
// recomputed from the leaves, so that consecutive checkpoints are
// consistent. It then reads the leaves again for the true-up. An export
// that does not verify is hresult.StoreTampered (exit 7), naming the
// first bad leaf index or checkpoint.
func Verify(r io.ReadSeeker, root ed25519.PublicKey) (*Report, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	s, key, lines, err := readHeader(br, root)
	if err != nil {
		return nil, err
	}
	v, err := translog.NewVerifier(s.Origin, key)
	if err != nil {
		return nil, bad(2, "%v", err)
	}
	sum, err := translog.VerifyExport(br, v)
	if err != nil {
		return nil, exportError(err, lines)
	}
	rep := &Report{Signer: s, Leaves: sum.Leaves, Checkpoints: sum.Checkpoints, TreeSize: sum.Latest.Size,
		RootHash: sum.Latest.Hash.String(), Checkpoint: string(sum.LatestNote)}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	t := newTally()
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 2*translog.MaxLeafSize)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "leaf ")
		if !ok {
			continue
		}
		leaf, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return nil, err // verified above: cannot happen unless the file changed
		}
		t.add(leaf)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	rep.TrueUp = t.report()
	return rep, nil
}

// exportError turns translog's *ExportError into the one-line answer
// naming the first bad index; lines is how many lines precede the log.
func exportError(err error, lines int) error {
	var ee *translog.ExportError
	if !errors.As(err, &ee) {
		return bad(0, "%v", err)
	}
	where := ""
	switch {
	case ee.FirstLeaf >= 0 && ee.EndLeaf <= ee.FirstLeaf+1:
		where = fmt.Sprintf("first bad leaf index %d", ee.FirstLeaf)
	case ee.FirstLeaf >= 0:
		where = fmt.Sprintf("first bad leaf index %d (one of leaves %d to %d, between two checkpoints)", ee.FirstLeaf, ee.FirstLeaf, ee.EndLeaf-1)
	case ee.Checkpoint >= 0:
		where = fmt.Sprintf("checkpoint %d", ee.Checkpoint)
	}
	if where != "" {
		where += ": "
	}
	return hresult.Newf(hresult.StoreTampered, "ledger export line %d: %s%s", ee.Line+lines, where, ee.Reason).
		WithExit(hresult.ExitStore).
		WithHint("the log was edited, cut or mixed with another: compare it with the checkpoints clients kept (volact receipts)")
}
