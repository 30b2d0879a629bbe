package kms

import (
	"context"
	"crypto/ed25519"
	"io"
	"path/filepath"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/translog"
	"github.com/volact/volact/internal/trueup"
)

// The vendor witnesses a customer's host (issue 12, item 7): volactd kms
// report, run on the host's machine while the host serves, reads the
// host's identity from its data directory (ReportIdentity) and computes
// the true-up summary of its log in its own process (ReadSummary), which
// it signs and sends to the activation service with the checkpoint that
// summary covers. The data directory and the log stay the serving host's:
// the report reads the database read-only, as kms status does, and the
// log's file without opening (locking) the log; the host's memory is not
// touched. Only a consistency proof, when the service asks for one, comes
// from the running host (GET /v1/log/consistency), which holds the hashes.

// TrueUpSummary is the true-up of a host's log: its newest checkpoint
// and, computed from the leaves it covers with package trueup, per
// counted group the most distinct machines in any 30-day window.
type TrueUpSummary struct {
	Origin     string              `json:"origin"`
	Size       int64               `json:"size"`
	Checkpoint []byte              `json:"checkpoint"` // the signed note; nil while the log is empty
	Groups     []trueup.GroupCount `json:"groups"`
}

// ReadSummary computes the true-up summary of the log of the host in dir
// as of the last checkpoint in its file, in this process: it streams
// translog.ExportDir through trueup.Summarize, without opening the log, so
// it works while the host serves. It reads the whole log once and its
// memory grows with the leaves (the machines of every counted request),
// which is why it runs in kms report and not in the host.
func ReadSummary(ctx context.Context, dir string) (TrueUpSummary, error) {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(translog.ExportDir(filepath.Join(dir, LogDir), pw)) }()
	stop := context.AfterFunc(ctx, func() { pr.CloseWithError(ctx.Err()) })
	defer stop()
	s, err := trueup.Summarize(pr)
	pr.Close()
	if err != nil {
		return TrueUpSummary{}, hresult.Wrap(hresult.Internal, err, "cannot read the transparency log in "+dir).WithExit(hresult.ExitStore)
	}
	out := TrueUpSummary{Size: s.Size, Checkpoint: s.Checkpoint, Groups: s.Groups}
	if s.Checkpoint != nil {
		c, err := translog.PeekCheckpoint(s.Checkpoint)
		if err != nil || c.Size != s.Size {
			return TrueUpSummary{}, hresult.New(hresult.StoreTampered, "the transparency log in "+dir+" holds a checkpoint that does not match its leaves").
				WithExit(hresult.ExitStore)
		}
		out.Origin = c.Origin
	}
	return out, nil
}

// Identity is what a host's report is signed and named with: its signing
// key (the key of its log and certificates), the certificates of its
// activated host keys that name that key, and its port.
type Identity struct {
	Key          ed25519.PrivateKey
	Origin       string   // the origin of the host's log
	Certificates []string // verified against the catalog's root
	Port         int      // kms set --port: where the host listens by default
}

// ReportIdentity reads the identity of the host in dir. It works while
// the host serves: it reads the database read-only, as kms status does. A
// host with no activated key is refused (exit 3).
func ReportIdentity(dir string) (*Identity, error) {
	cat, err := readCatalog(dir)
	if err != nil {
		return nil, err
	}
	signer, err := readSigner(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, err
	}
	v, err := openView(dir)
	if err != nil {
		return nil, err
	}
	defer v.close()
	ctx := context.Background()
	settings, err := loadSettings(ctx, v.tx)
	if err != nil {
		return nil, err
	}
	keys, err := loadHostKeys(ctx, v.tx)
	if err != nil {
		return nil, err
	}
	pub := signer.Public().(ed25519.PublicKey)
	id := &Identity{Key: signer, Origin: translog.Origin(translog.OriginKMS, pub), Port: settings.Port}
	for _, k := range keys {
		if !k.Activated {
			continue
		}
		c, err := protocol.VerifyCertificate(k.certificate, cat.Root(), k.ActivatedAt)
		if err == nil && ed25519.PublicKey(c.PublicKey).Equal(pub) {
			id.Certificates = append(id.Certificates, k.certificate)
		}
	}
	if len(id.Certificates) == 0 {
		return nil, notActivated()
	}
	return id, nil
}
