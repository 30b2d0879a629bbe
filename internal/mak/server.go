// Package mak is the online activation service (design §4, §7): it activates
// MAK and retail keys, certifies KMS hosts under their host keys, exchanges
// proxy (offline) installation requests for confirmations, and offers a
// token-protected admin API to mint keys, block them and read their counts.
//
// Every successful answer is a protocol.Envelope signed with the
// authority's service key; every failure is a protocol.ErrorResponse with a
// stable code and the matching HTTP status. Counts live in a ledger.Ledger
// (SQLite by default, PostgreSQL for several replicas), which spends each
// activation exactly once under concurrency.
//
// Replays. The service keeps no record of nonces. Sending the same request
// again is harmless by construction: an activation is bound to one
// installation (hardware id + SKU), and an installation that is already
// activated spends nothing, so a replayed or retried request only yields a
// fresh grant for the machine it names. Whoever can replay a request holds
// the key it carries anyway. The grant echoes the request's nonce so that a
// client can tie an answer to its own request.
package mak

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/ledger"
	"github.com/volact/volact/internal/translog"
)

// MaxBodySize is the service's request body cap (design §9); the other
// limits and timeouts are the httpserve kit's.
const MaxBodySize = 64 << 10

// HostCertValidity is how long a KMS host certificate is valid. A host
// activates again before it runs out; a blocked host key then gets no new
// certificate.
const HostCertValidity = 365 * 24 * time.Hour

// certRefresh is how often the service certificate is re-issued, so that a
// long-running service never signs with an expired one.
const certRefresh = time.Hour

// Options are the optional dependencies of a Server.
type Options struct {
	Now        func() time.Time // clock; nil = time.Now
	Logger     *slog.Logger     // nil = discard
	AdminToken string           // bearer token of the admin API; "" disables it
	// LogDir is the transparency log's directory; "" = LogDir inside the
	// authority directory. When set, the service signs with a key of its
	// own kept there (service.key), certified by the authority's root: what
	// each replica on one database needs.
	LogDir string
}

// Server is the activation service. Build it with New; it is safe for
// concurrent use.
type Server struct {
	auth    *authority.Authority
	ledger  *ledger.Ledger
	now     func() time.Time
	log     *slog.Logger
	token   string
	metrics *metrics
	admin   *Admin
	signer  signer
	tlog    *translog.Log // every answer is a leaf (tlog.go)
}

// New returns a Server that activates keys of authority a and counts them
// in l. It loads (or creates) the service signing key and opens the
// transparency log; Close closes it.
func New(a *authority.Authority, l *ledger.Ledger, o Options) (*Server, error) {
	if a == nil || l == nil {
		return nil, errors.New("mak: New needs an authority and a ledger")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		auth: a, ledger: l, now: func() time.Time { return o.Now().UTC() }, log: o.Logger,
		token: o.AdminToken, metrics: newMetrics(),
		signer: signer{auth: a, dir: a.Dir},
	}
	s.admin = &Admin{Authority: a, Ledger: l, Now: s.now}
	s.metrics.http.Registry.MustRegister(s.eventsCollector()) // velocity.go
	if o.LogDir != "" {
		if err := os.MkdirAll(o.LogDir, 0o700); err != nil {
			return nil, hresult.Wrap(hresult.Internal, err, "cannot create the log directory").WithExit(hresult.ExitStore)
		}
		s.signer.dir = o.LogDir // a replica: its own key and certificate
	}
	key, _, err := s.signer.get(s.now())
	if err != nil {
		return nil, err
	}
	if s.tlog, err = openLog(logDir(a, o), key); err != nil {
		return nil, err
	}
	if r := s.tlog.Recovery(); r != (translog.Recovery{}) {
		s.log.Warn("transparency log recovered after a crash: unacknowledged leaves moved aside",
			"torn_bytes", r.TornBytes, "dropped_leaves", r.DroppedLeaves, "moved_to", r.MovedTo, "rebuilt_hashes", r.RebuiltHashes)
	}
	s.metrics.http.RegisterLogMetrics("service", s.tlog)
	return s, nil
}

// Serve answers HTTP on ln (httpserve.Listen or httpserve.ListenTLS)
// until ctx is cancelled, then shuts down gracefully: it stops accepting,
// lets running requests finish for up to httpserve.ShutdownTimeout and
// returns nil (httpserve.Serve).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return httpserve.Serve(ctx, ln, s.Handler(), s.log)
}

// signer holds the service signing key and a certificate for it that is
// re-issued every certRefresh.
type signer struct {
	auth   *authority.Authority
	dir    string // where service.key is: the authority's, or a replica's log directory
	mu     sync.Mutex
	key    ed25519.PrivateKey
	cert   string
	issued time.Time
}

func (g *signer) get(now time.Time) (ed25519.PrivateKey, string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cert == "" || now.Before(g.issued) || now.Sub(g.issued) >= certRefresh {
		key, cert, err := g.auth.ServiceSignerIn(g.dir, now)
		if err != nil {
			return nil, "", err
		}
		g.key, g.cert, g.issued = key, cert, now
	}
	return g.key, g.cert, nil
}
