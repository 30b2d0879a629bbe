package kms

import (
	"context"
	"net"
	"net/http"
	"net/netip"

	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/protocol"
)

// Serve answers on ln (httpserve.Listen or httpserve.ListenTLS) until ctx
// ends, then shuts down gracefully (httpserve.Serve): it stops accepting
// and lets running requests finish (at most httpserve.ShutdownTimeout).
// It does not close h; h.Close commits what is queued.
func (h *Host) Serve(ctx context.Context, ln net.Listener, allow []netip.Prefix) error {
	h.log.Info("KMS host serving", "addr", ln.Addr().String(), "groups", h.Groups())
	err := httpserve.Serve(ctx, ln, h.Handler(allow), h.log)
	h.log.Info("KMS host stopped")
	return err
}

// ServeHandler serves handler on ln with the kit's server settings
// (httpserve.Serve) until ctx ends, then shuts it down gracefully. The
// benchmark floors (package kmsbench) are served with it.
func ServeHandler(ctx context.Context, ln net.Listener, handler http.Handler) error {
	return httpserve.Serve(ctx, ln, handler, nil)
}

// ActivationHandler answers POST /v1/kms/activate as the host's Handler
// does, without counting, history, metrics or the network allow-list: it
// decodes the request strictly (at most MaxRequestBody bytes) and writes
// the envelope that answer returns, or answer's error with the host's HTTP
// status. The benchmark floors (package kmsbench) are built on it, so they
// decode and write exactly as the host does.
func ActivationHandler(answer func(protocol.ActivationRequest) (*protocol.Envelope, error)) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/kms/activate", func(w http.ResponseWriter, r *http.Request) {
		var req protocol.ActivationRequest
		err := httpserve.DecodeJSON(w, r, MaxRequestBody, &req)
		var env *protocol.Envelope
		if err == nil {
			env, err = answer(req)
		}
		if err != nil {
			httpserve.WriteError(w, err)
			return
		}
		httpserve.WriteJSON(w, http.StatusOK, env)
	})
	return mux
}
