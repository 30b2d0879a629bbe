package httpjson

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/protocol"
)

// DefaultTimeout bounds one request to one host or service, so that a login
// script or VPN hook never hangs on an unreachable server.
const DefaultTimeout = 5 * time.Second

// Call POSTs req as JSON to url and, on success, verifies the answer
// against root at now (protocol.Open) and decodes its payload into out. A
// live answer must carry a transparency log receipt: an answer signed
// alone, outside the server's log, is refused (hresult.BadSignature). A failure answer
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
	if env.Receipt == nil {
		return nil, nil, hresult.New(hresult.BadSignature, "the answer carries no transparency log receipt: it is not in the server's log").
			WithHint("upgrade the server, or check that it is the one you meant to use")
	}
	cert, err := protocol.Open(env, root, now, out)
	if err != nil {
		return nil, nil, err
	}
	return &env, cert, nil
}
