// Package httpserve is the one server kit that volact's servers (the KMS
// host in internal/kms and the activation service in internal/mak) use for
// their HTTP plumbing, so that they cannot drift apart (design §4, §9):
//
//   - listening: [Listen] on TCP, [ListenTLS] with a certificate and key
//     (TLS 1.2 or later), and [Serve] with the timeouts below and a graceful
//     shutdown when its context ends;
//   - requests: [DecodeJSON] caps the body and decodes it strictly with
//     internal/jsonstrict (one value, no unknown field, no duplicate key, no
//     field name that matches only by case), after checking that a body is
//     JSON at all (415 otherwise);
//   - answers: [WriteJSON], and [WriteError], which sends a
//     protocol.ErrorResponse with the HTTP status of [StatusOf], one table
//     from error code to status for both servers;
//   - a [Router] with method checks, JSON 404 and 405 answers, panic
//     recovery, a /healthz endpoint ([Router.Health]), /metrics on a
//     private Prometheus registry ([Metrics]) and a slog request log.
//
// The client binary must not link this package (it links Prometheus);
// what clients and servers share lives in internal/jsonstrict,
// internal/httpjson and internal/protocol.
package httpserve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Limits and timeouts of every volact server (design §9).
const (
	ReadHeaderTimeout = 5 * time.Second  // slowloris clients are cut off after this
	ReadTimeout       = 15 * time.Second // whole request, body included
	WriteTimeout      = 30 * time.Second // from the end of the headers to the end of the answer
	IdleTimeout       = 2 * time.Minute  // keep-alive connections
	ShutdownTimeout   = 10 * time.Second // running requests may finish this long after a stop
	MaxHeaderBytes    = 16 << 10         // request line and headers
)

// NewServer returns an http.Server for h with the kit's timeouts and
// header limit; net/http's own messages go to log (nil: discarded) at
// warning level.
func NewServer(h http.Handler, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// Serve answers HTTP on ln with h (ln from [Listen] or [ListenTLS]) until
// ctx ends, then shuts down gracefully: it stops accepting, lets running
// requests finish for up to [ShutdownTimeout], closes what is left and
// returns nil. Request contexts carry ctx's values but are not cancelled
// with it, so a stop does not abort a request half-way. An error that
// stops the server before ctx ends is returned.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	hs := NewServer(h, log)
	hs.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	if log != nil {
		log.Info("shutting down", "grace", ShutdownTimeout.String())
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
		<-errc
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
