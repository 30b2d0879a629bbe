package kms

import (
	"crypto/ed25519"
	"errors"
	"io/fs"
	"path/filepath"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/translog"
)

// LogStatus is the host's transparency log as kms status and the status
// page show it: the leaves and the newest checkpoint covering them. A
// checkpoint note carries no time, so neither does this.
type LogStatus struct {
	Origin     string `json:"origin"`
	Size       int64  `json:"size"`       // leaves covered by the newest checkpoint
	TreeSize   int64  `json:"tree_size"`  // the newest checkpoint's tree size
	RootHash   string `json:"root_hash"`  // its root hash, base64 as in the note
	Checkpoint string `json:"checkpoint"` // the signed note; "" while the log is empty
}

// logStatus describes the signed checkpoint note (nil: an empty log of
// origin origin).
func logStatus(origin string, note []byte) (*LogStatus, error) {
	ls := &LogStatus{Origin: origin}
	if note == nil {
		return ls, nil
	}
	c, err := translog.PeekCheckpoint(note)
	if err != nil {
		return nil, hresult.Wrap(hresult.StoreTampered, err, "the transparency log holds a malformed checkpoint").WithExit(hresult.ExitStore)
	}
	ls.Origin, ls.Size, ls.TreeSize, ls.RootHash, ls.Checkpoint = c.Origin, c.Size, c.Size, c.Hash.String(), string(note)
	return ls, nil
}

// readLogStatus reads the log of the host in dir from its file, without
// opening it (translog.CheckpointDir), so while the host serves. A host
// that never opened its log (never served) has none: nil.
func readLogStatus(dir string) (*LogStatus, error) {
	note, err := translog.CheckpointDir(filepath.Join(dir, LogDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, hresult.Wrap(hresult.Internal, err, "cannot read the transparency log in "+dir).WithExit(hresult.ExitStore)
	}
	signer, err := readSigner(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, err
	}
	return logStatus(translog.Origin(translog.OriginKMS, signer.Public().(ed25519.PublicKey)), note)
}

// pageLog is the transparency log's part of the status page: the log in
// this host's memory, and what opening it repaired after a crash.
type pageLog struct {
	*LogStatus
	RootShort string // the root hash's first characters
	Recovery  translog.Recovery
	Recovered bool // Recovery is not zero
}

// pageLogOf reads l for the status page.
func pageLogOf(l *translog.Log) (*pageLog, error) {
	ls, err := logStatus(l.Origin(), l.Checkpoint())
	if err != nil {
		return nil, err
	}
	p := &pageLog{LogStatus: ls, RootShort: ls.RootHash, Recovery: l.Recovery()}
	if len(p.RootShort) > 12 {
		p.RootShort = p.RootShort[:12] + "…"
	}
	p.Recovered = p.Recovery != (translog.Recovery{})
	if p.Recovery.MovedTo != "" {
		p.Recovery.MovedTo = filepath.Base(p.Recovery.MovedTo) // inside the log's directory
	}
	return p, nil
}
