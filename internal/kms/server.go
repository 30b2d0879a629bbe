package kms

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/volact/volact/internal/protocol"
)

// Server timeouts.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 10 * time.Second
	WriteTimeout      = 15 * time.Second
	IdleTimeout       = 120 * time.Second
	ShutdownTimeout   = 10 * time.Second
)

// Serve answers on ln until ctx ends, then shuts down gracefully: it stops
// accepting, lets running requests finish (at most ShutdownTimeout) and
// commits what is queued. It does not close h.
func (h *Host) Serve(ctx context.Context, ln net.Listener, allow []netip.Prefix) error {
	h.log.Info("KMS host serving", "addr", ln.Addr().String(), "groups", h.Groups())
	err := serve(ctx, ln, h.Handler(allow))
	h.log.Info("KMS host stopped")
	return err
}

// ServeHandler serves handler on ln with the host's server settings
// (timeouts, header limit) until ctx ends, then shuts it down gracefully.
// The benchmark floors (package kmsbench) are served with it.
func ServeHandler(ctx context.Context, ln net.Listener, handler http.Handler) error {
	return serve(ctx, ln, handler)
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
		req, err := decodeRequest(r)
		var env *protocol.Envelope
		if err == nil {
			env, err = answer(req)
		}
		if err != nil {
			writeJSON(w, statusOf(err), protocol.ErrorFrom(err))
			return
		}
		writeEnvelope(w, env)
	})
	return mux
}

// serve runs an HTTP server with the host's timeouts on ln until ctx ends,
// then shuts it down gracefully.
func serve(ctx context.Context, ln net.Listener, handler http.Handler) error {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    16 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}
