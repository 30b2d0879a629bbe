package kmsbench

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/protocol"
)

// FloorOptions configure a floor.
type FloorOptions struct {
	Issuer string // the issuer put in every grant, as a host puts its name
}

// FloorHandler is the benchmark's floor: a bare handler for POST
// /v1/kms/activate that decodes the request as the host does
// ([kms.ActivationHandler]), answers the grant the host would
// ([kms.GrantFor]) sealed with a throw-away Ed25519 key and a certificate
// of the same size (protocol.Seal), and writes it as the host does. No
// counting, no history, no disk: the most a host on this machine could
// answer.
func FloorHandler(o FloorOptions) (http.Handler, error) {
	_, root, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	pub, signer, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	cert, err := protocol.IssueCertificate(root, protocol.Certificate{Subject: strings.Repeat("f", 32), Role: protocol.RoleKMSHost,
		PublicKey: pub, Groups: []string{"suite"}, IssuedAt: time.Now()})
	if err != nil {
		return nil, err
	}
	s := kms.DefaultSettings()
	return kms.ActivationHandler(func(req protocol.ActivationRequest) (*protocol.Envelope, error) {
		g := kms.GrantFor(req, time.Now().UTC(), kms.Validity, s, floorCount, o.Issuer)
		env, err := protocol.Seal(g, signer, cert)
		if err != nil {
			return nil, hresult.Wrap(hresult.Internal, err, "seal")
		}
		return &env, nil
	}), nil
}

// ServeFloor serves the floor that o describes on ln, with the host's
// server settings ([kms.ServeHandler]), until ctx ends.
func ServeFloor(ctx context.Context, ln net.Listener, o FloorOptions) error {
	fh, err := FloorHandler(o)
	if err != nil {
		return err
	}
	return kms.ServeHandler(ctx, ln, fh)
}

// floorCount is the count the floor puts in its grants: that of a group
// of threshold 5 at its cap, as in the host's bench runs.
const floorCount = 10
