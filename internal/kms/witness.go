package kms

import (
	"context"
	"crypto/ed25519"
	"io"
	"net/http"
	"path/filepath"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/translog"
	"github.com/volact/volact/internal/trueup"
)

// The vendor witnesses a customer's host (issue 12, item 7): volactd kms
// report, run on the host's machine while the host serves, reads the
// host's identity from its data directory (ReportIdentity) and asks the
// running host for its log's true-up summary (GET /v1/log/trueup), which
// it signs and sends to the activation service with the host's newest
// checkpoint. The data directory and the log stay the serving host's: the
// report reads the database read-only, as kms status does, and never
// opens the log.

// TrueUpSummary is the answer of GET /v1/log/trueup: the host log's
// newest checkpoint and, computed from the leaves it covers with package
// trueup, per counted group the most distinct machines in any 30-day
// window.
type TrueUpSummary struct {
	Origin     string              `json:"origin"`
	Size       int64               `json:"size"`
	Checkpoint []byte              `json:"checkpoint"` // the signed note; nil while the log is empty
	Groups     []trueup.GroupCount `json:"groups"`
}

// witnessRoutes adds GET /v1/log/trueup to rt.
func (h *Host) witnessRoutes(rt *httpserve.Router) {
	rt.HandleJSON(http.MethodGet, "/v1/log/trueup", func(_ http.ResponseWriter, r *http.Request) (any, error) {
		s, err := Summarize(r.Context(), h.tlog)
		if err != nil {
			return nil, hresult.Wrap(hresult.ServiceFailure, err, "cannot compute the true-up of the log")
		}
		return s, nil
	})
}

// Summarize computes the true-up summary of l as of its newest checkpoint:
// it streams l's export through trueup.Summarize. It reads the whole log
// once; its memory grows with the leaves (one short record per counted
// request), so it is for a daily report, not for every request.
func Summarize(ctx context.Context, l *translog.Log) (TrueUpSummary, error) {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(l.Export(pw)) }()
	stop := context.AfterFunc(ctx, func() { pr.CloseWithError(ctx.Err()) })
	defer stop()
	s, err := trueup.Summarize(pr)
	pr.Close()
	if err != nil {
		return TrueUpSummary{}, err
	}
	return TrueUpSummary{Origin: l.Origin(), Size: s.Size, Checkpoint: s.Checkpoint, Groups: s.Groups}, nil
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
