package mak

import (
	"context"
	"net/http"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/ledger"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/protocol"
)

// maxIDLen bounds hardware and host ids: they end up in the database.
const maxIDLen = 256

// Issuer is the Grant.Issuer of every grant the service signs.
const Issuer = "service"

// ProxyRequest is the body of POST /v1/proxy: an installation request in
// its text form (VA1-...).
type ProxyRequest struct {
	Request string `json:"request"`
}

// ProxyResponse is the answer of POST /v1/proxy: the confirmation in its
// text form (VC1-...).
type ProxyResponse struct {
	Confirmation string `json:"confirmation"`
}

// handleActivate is POST /v1/activate: one MAK or retail activation.
func (s *Server) handleActivate(w http.ResponseWriter, r *http.Request) (any, error) {
	var req protocol.ActivationRequest
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	env, err := s.activate(r.Context(), req, true)
	s.metrics.activation("activate", err)
	return env, err
}

// handleProxy is POST /v1/proxy: the exchange of an installation request
// made by dinstid for a confirmation that actcid applies. The request may
// be days old, so the client's time is not checked.
func (s *Server) handleProxy(w http.ResponseWriter, r *http.Request) (any, error) {
	var body ProxyRequest
	if err := decode(w, r, &body); err != nil {
		return nil, err
	}
	var req protocol.InstallationRequest
	if err := protocol.DecodeText(protocol.RequestPrefix, body.Request, &req); err != nil {
		return nil, err
	}
	env, err := s.activate(r.Context(), req, false)
	s.metrics.activation("proxy", err)
	if err != nil {
		return nil, err
	}
	text, err := protocol.EncodeText(protocol.ConfirmationPrefix, env)
	if err != nil {
		return nil, err
	}
	return ProxyResponse{Confirmation: text}, nil
}

// activate checks a MAK activation request, spends the activation and
// returns the grant, logged, with its receipt. The activation is spent
// before the grant is logged, so the log never holds a grant that was not
// spent; if logging fails, the activation is spent without an answer, and
// a retry of the same installation spends nothing. An exhausted or
// blocked key is logged as a refusal.
func (s *Server) activate(ctx context.Context, req protocol.ActivationRequest, checkClock bool) (protocol.Envelope, error) {
	now := s.now()
	if err := req.Validate(); err != nil {
		return protocol.Envelope{}, err
	}
	if req.Kind != protocol.KindMAK {
		return protocol.Envelope{}, hresult.Newf(hresult.BadRequest, "this service activates MAK and retail keys; a %q request goes to a KMS host", req.Kind)
	}
	if len(req.HardwareID) > maxIDLen || len(req.CMID) > maxIDLen || len(req.Nonce) > maxIDLen {
		return protocol.Envelope{}, hresult.Newf(hresult.BadRequest, "hardware id, CMID and nonce must be at most %d bytes", maxIDLen)
	}
	if checkClock {
		if err := checkSkew(req.ClientTime, now); err != nil {
			return protocol.Envelope{}, err
		}
	}
	cat := s.auth.Catalog
	prod, ok := cat.Product(req.SKU)
	if !ok {
		return protocol.Envelope{}, hresult.Newf(hresult.SKUNotFound, "SKU %q is not in the service's catalog", req.SKU).
			WithHint("check the SKU; volact catalog show lists the catalog's products")
	}
	k, err := s.admin.verifyKey(req.Key)
	if err != nil {
		return protocol.Envelope{}, err
	}
	switch {
	case k.Type != productkey.MAK && k.Type != productkey.Retail:
		return protocol.Envelope{}, notFound(k, "is a "+k.Type.String()+" key, not a MAK or retail key")
	case k.Product != prod.ID:
		return protocol.Envelope{}, notFound(k, "is not a key for "+prod.SKU)
	}
	s.recordClientState(ctx, req, prod.SKU, now)
	ref := makRef(k, prod)
	res, err := s.ledger.ActivateMAK(ctx, ref, ledger.Installation{ID: installID(req.HardwareID, prod.SKU), Sources: req.Sources}, now)
	if err != nil {
		return protocol.Envelope{}, s.logRefusal(ctx, err, req.HardwareID, prod.SKU, k.Last5(), now)
	}
	env, err := s.logged(ctx, protocol.Grant{
		Kind: protocol.KindMAK, SKU: prod.SKU, HardwareID: req.HardwareID, CMID: req.CMID,
		IssuedAt: now, Issuer: Issuer, KeyLast5: k.Last5(), Nonce: req.Nonce, Instance: grantInstance(res.Instance),
	}, now, req.KnownTrees)
	if err != nil {
		return protocol.Envelope{}, err
	}
	s.log.InfoContext(ctx, "activated", "key", k.Redacted(), "key_id", ref.ID, "sku", prod.SKU,
		"hardware_id", req.HardwareID, "instance", res.Instance, "spent", res.Spent, "used", res.Used, "limit", res.Limit)
	return env, nil
}

// installID names one installation in the ledger: hardware id and SKU.
func installID(hwid, sku string) string { return hwid + "/" + sku }

// grantInstance is Grant.Instance for the ledger's instance n: 0 for the
// first machine with a hardware id, so that its grants read as before.
func grantInstance(n int) int {
	if n <= 1 {
		return 0
	}
	return n
}

// handleHostActivate is POST /v1/host/activate: it certifies a KMS host's
// public key for the group its host key allows.
func (s *Server) handleHostActivate(w http.ResponseWriter, r *http.Request) (any, error) {
	var req protocol.HostActivationRequest
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	env, err := s.activateHost(r.Context(), req)
	s.metrics.activation("host", err)
	return env, err
}

func (s *Server) activateHost(ctx context.Context, req protocol.HostActivationRequest) (protocol.Envelope, error) {
	now := s.now()
	if err := req.Validate(); err != nil {
		return protocol.Envelope{}, err
	}
	if len(req.HostID) > maxIDLen || len(req.Nonce) > maxIDLen {
		return protocol.Envelope{}, hresult.Newf(hresult.BadRequest, "host id and nonce must be at most %d bytes", maxIDLen)
	}
	if err := checkSkew(req.ClientTime, now); err != nil {
		return protocol.Envelope{}, err
	}
	k, err := s.admin.verifyKey(req.HostKey)
	if err != nil {
		return protocol.Envelope{}, err
	}
	if k.Type != productkey.KMSHost {
		return protocol.Envelope{}, notFound(k, "is a "+k.Type.String()+" key, not a KMS host key")
	}
	g, ok := s.auth.Catalog.GroupByID(k.Product)
	if !ok {
		return protocol.Envelope{}, notFound(k, "names a group the catalog does not have")
	}
	cert, err := protocol.IssueCertificate(s.auth.Root, protocol.Certificate{
		Subject: req.HostID, Role: protocol.RoleKMSHost, PublicKey: req.PublicKey,
		Groups: []string{g.Name}, IssuedAt: now, NotAfter: now.Add(HostCertValidity),
	})
	if err != nil {
		return protocol.Envelope{}, hresult.Wrap(hresult.Internal, err, "cannot issue the host certificate")
	}
	ref := hostRef(k, g)
	res, err := s.ledger.ActivateHost(ctx, ref, req.HostID, now)
	if err != nil {
		return protocol.Envelope{}, s.logRefusal(ctx, err, req.HostID, g.Name, k.Last5(), now)
	}
	env, err := s.logged(ctx, protocol.HostGrant{HostID: req.HostID, Groups: []string{g.Name}, Certificate: cert, IssuedAt: now}, now, nil)
	if err != nil {
		return protocol.Envelope{}, err
	}
	s.log.InfoContext(ctx, "host activated", "key", k.Redacted(), "key_id", ref.ID, "group", g.Name,
		"host_id", req.HostID, "hosts", res.Hosts, "host_activations", res.Activations)
	return env, nil
}

// checkSkew refuses a client whose clock is more than
// protocol.MaxClockSkew away from the service's.
func checkSkew(client, now time.Time) error {
	d := client.Sub(now)
	if d < 0 {
		d = -d
	}
	if d > protocol.MaxClockSkew {
		return hresult.Newf(hresult.ClockSkew, "the client's clock (%s) is %s away from the service's (%s)",
			client.UTC().Format(time.RFC3339), d.Round(time.Minute), now.Format(time.RFC3339)).
			WithHint("set the client's clock right (NTP), then activate again")
	}
	return nil
}

// makRef is the ledger's reference to a MAK or retail key. A retail key
// activates one installation.
func makRef(k productkey.Key, prod catalog.Product) ledger.KeyRef {
	limit := int(k.Activations)
	if k.Type == productkey.Retail || limit < 1 {
		limit = 1
	}
	return ledger.KeyRef{ID: k.ID(), Last5: k.Last5(), SKU: prod.SKU, Type: ledger.TypeMAK, Limit: limit}
}

// hostRef is the ledger's reference to a KMS host key of group g.
func hostRef(k productkey.Key, g catalog.Group) ledger.KeyRef {
	return ledger.KeyRef{ID: k.ID(), Last5: k.Last5(), SKU: g.Name, Type: ledger.TypeKMSHost}
}

// notFound is the answer for a key the service does not accept: the
// client sees 0xC004C001 whatever the reason, the reason says which.
func notFound(k productkey.Key, why string) error {
	return hresult.Newf(hresult.KeyNotFound, "key %s %s", k.Redacted(), why).
		WithHint("check the key with its owner; a forged or mistyped key is never accepted")
}
