package kms

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"time"
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

// ServeFloor serves FloorHandler on ln, with the host's server settings,
// until ctx ends.
func ServeFloor(ctx context.Context, ln net.Listener, issuer string) error {
	fh, err := FloorHandler(issuer)
	if err != nil {
		return err
	}
	return serve(ctx, ln, fh)
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
