package kms

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/translog"
	"github.com/volact/volact/internal/trueup"
)

// LogDir is the host's transparency log, inside its data directory: every
// answered request is a leaf (package translog).
const LogDir = "log"

// OpenLog opens (creating it if needed) the transparency log of the host
// whose data directory is dir and whose signing key is key, under the
// origin translog.Origin(OriginKMS, public key). A log that no longer
// reproduces a checkpoint it signed (translog.ErrFork) or is damaged
// (ErrCorrupt) is refused with exit 7: a person must look at it.
func OpenLog(dir string, key ed25519.PrivateKey) (*translog.Log, error) {
	opts, err := translog.KeyOptions(translog.OriginKMS, key)
	if err != nil {
		return nil, hresult.Wrap(hresult.Internal, err, "cannot use the host key for the log")
	}
	path := filepath.Join(dir, LogDir)
	l, err := translog.Open(path, opts)
	if err != nil {
		return nil, logOpenError(path, err)
	}
	return l, nil
}

// logOpenError is the answer to a log that does not open.
func logOpenError(path string, err error) error {
	if errors.Is(err, translog.ErrFork) || errors.Is(err, translog.ErrCorrupt) {
		return hresult.Wrap(hresult.StoreTampered, err, "the transparency log "+path+" does not reproduce what it signed").
			WithExit(hresult.ExitStore).
			WithHint("the log was edited or damaged: keep it for inspection, restore it from backup, and tell the vendor; the host will not sign a second history")
	}
	return hresult.Wrap(hresult.Internal, err, "cannot open the transparency log "+path).WithExit(hresult.ExitStore)
}

// reportRecovery logs what opening the log repaired.
func reportRecovery(log *slog.Logger, l *translog.Log) {
	if r := l.Recovery(); r != (translog.Recovery{}) {
		log.Warn("transparency log recovered after a crash: unacknowledged leaves moved aside",
			"torn_bytes", r.TornBytes, "dropped_leaves", r.DroppedLeaves, "moved_to", r.MovedTo, "rebuilt_hashes", r.RebuiltHashes)
	}
	log.Info("transparency log open", "origin", l.Origin(), "size", l.Size())
}

// logAnswer appends payload (a grant, or a refusal record) to the log and
// returns its envelope under cert, with the consistency proof the client
// asked for through req.KnownTrees. It returns once the leaf and a
// checkpoint covering it are on stable storage.
func (h *Host) logAnswer(ctx context.Context, payload []byte, req protocol.ActivationRequest, cert string) (*protocol.Envelope, error) {
	r, err := h.tlog.Append(ctx, payload)
	if err != nil {
		return nil, hresult.Wrap(hresult.ServiceFailure, err, "cannot record the answer in the transparency log")
	}
	env := protocol.Logged(payload, r, cert)
	if from, ok := req.KnownTrees[h.tlog.Origin()]; ok {
		env.Consistency = consistency(h.tlog, from, r)
	}
	return &env, nil
}

// consistency returns the proof that the receipt's tree extends the tree
// of size from, or nil when there is none to give (from is larger: the
// client then refuses the answer, which is the point).
func consistency(l *translog.Log, from int64, r translog.Receipt) *protocol.Consistency {
	c, err := translog.PeekCheckpoint(r.Checkpoint)
	if err != nil || from > c.Size {
		return nil
	}
	proof, err := l.ConsistencyProof(from, c.Size)
	if err != nil {
		return nil
	}
	return &protocol.Consistency{From: from, Proof: proof}
}

// logRefusal appends the refusal record of a counted request that was
// refused (count too low).
func (h *Host) logRefusal(ctx context.Context, req protocol.ActivationRequest, group string, now time.Time, answer error, count int) error {
	payload, err := protocol.EncodePayload(protocol.Refusal{
		Kind: protocol.KindRefusal, Time: now, Machine: protocol.MachineDigest(req.CMID), SKU: clip(req.SKU),
		Group: group, Result: hresult.CodeOf(answer).String(), Count: count,
	})
	if err != nil {
		return hresult.Wrap(hresult.Internal, err, "cannot encode the refusal")
	}
	if _, err := h.tlog.Append(ctx, payload); err != nil {
		return hresult.Wrap(hresult.ServiceFailure, err, "cannot record the answer in the transparency log")
	}
	return nil
}

// ExportLedger writes the ledger export of the host in dir (package
// trueup): the certificates of its host key and its whole transparency
// log. The host must not be running (the data directory is locked while
// it serves).
func ExportLedger(dir string, w io.Writer) error {
	return withDir(dir, false, func(db *sql.DB) error {
		keys, err := loadHostKeys(context.Background(), db)
		if err != nil {
			return err
		}
		signer, err := readSigner(filepath.Join(dir, KeyFile))
		if err != nil {
			return err
		}
		cat, err := readCatalog(dir)
		if err != nil {
			return err
		}
		var certs []string
		for _, k := range keys {
			if !k.Activated {
				continue
			}
			c, err := protocol.VerifyCertificate(k.certificate, cat.Root(), k.ActivatedAt)
			if err == nil && ed25519.PublicKey(c.PublicKey).Equal(signer.Public()) {
				certs = append(certs, k.certificate)
			}
		}
		if len(certs) == 0 {
			return notActivated()
		}
		l, err := OpenLog(dir, signer)
		if err != nil {
			return err
		}
		defer l.Close()
		if err := trueup.Write(w, certs, l); err != nil {
			return hresult.Wrap(hresult.Internal, err, "cannot export the ledger")
		}
		return nil
	})
}
