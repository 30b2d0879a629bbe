package kmsbench

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
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
	NoSign bool   // answer the grant without its Ed25519 signature
}

// FloorHandler is the benchmark's floor: a bare handler for POST
// /v1/kms/activate that decodes the request as the host does
// ([kms.ActivationHandler]), answers the grant the host would
// ([kms.GrantFor]) sealed with a throw-away Ed25519 key and a certificate
// of the same size (protocol.Seal), and writes it as the host does. No
// counting, no history, no disk: the most a host on this machine could
// answer.
//
// With o.NoSign the floor is unsigned: it encodes the same grant and
// certificate but leaves the envelope's signature empty, so that the
// difference between the two floors is the cost of Ed25519 signing.
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
		if o.NoSign {
			return unsigned(g, cert)
		}
		env, err := protocol.Seal(g, signer, cert)
		if err != nil {
			return nil, hresult.Wrap(hresult.Internal, err, "seal")
		}
		return &env, nil
	}), nil
}

// unsigned is the envelope of g with cert and no signature: what
// protocol.Seal returns without its ed25519.Sign.
func unsigned(g protocol.Grant, cert string) (*protocol.Envelope, error) {
	payload, err := json.Marshal(g)
	if err != nil {
		return nil, hresult.Wrap(hresult.Internal, err, "encode the grant")
	}
	return &protocol.Envelope{Payload: base64.StdEncoding.EncodeToString(payload), Certificate: cert}, nil
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
