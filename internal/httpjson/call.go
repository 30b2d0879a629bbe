package httpjson

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"time"

	"github.com/volact/volact/internal/protocol"
)

// DefaultTimeout bounds one request to one host or service, so that a login
// script or VPN hook never hangs on an unreachable server.
const DefaultTimeout = 5 * time.Second

// Call POSTs req as JSON to url and, on success, verifies the signed answer
// against root at now and decodes its payload into out. A failure answer
// becomes its *hresult.Error; a transport failure is hresult.NoHost (exit 4).
// The activation client and a KMS host activating its host keys both use it.
func Call(ctx context.Context, hc *http.Client, url string, req any, root ed25519.PublicKey, now time.Time, out any) (*protocol.Envelope, *protocol.Certificate, error) {
	data, err := Post(ctx, hc, url, "", req)
	if err != nil {
		return nil, nil, err
	}
	env, err := protocol.ParseEnvelope(data)
	if err != nil {
		return nil, nil, err
	}
	cert, err := protocol.Open(env, root, now, out)
	if err != nil {
		return nil, nil, err
	}
	return &env, cert, nil
}
