package kms

import (
	"context"
	"net"
	"net/netip"

	"github.com/volact/volact/internal/httpserve"
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

// ServeFloor serves FloorHandler on ln, with the kit's server settings,
// until ctx ends.
func ServeFloor(ctx context.Context, ln net.Listener, issuer string) error {
	fh, err := FloorHandler(issuer)
	if err != nil {
		return err
	}
	return httpserve.Serve(ctx, ln, fh, nil)
}
