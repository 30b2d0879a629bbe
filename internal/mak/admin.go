package mak

import (
	"context"
	"net/http"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/ledger"
	"github.com/volact/volact/internal/productkey"
)

// MaxMintCount is the most keys one mint request makes.
const MaxMintCount = 1000

// MintRequest is the body of POST /v1/admin/mint.
type MintRequest struct {
	Type        string `json:"type"`                  // mak, kms-host, kms-client or retail
	SKU         string `json:"sku"`                   // product SKU
	Activations int    `json:"activations,omitempty"` // MAK limit
	Count       int    `json:"count,omitempty"`       // keys to mint; 0 = 1
}

// MintResponse is the answer of POST /v1/admin/mint: the full keys, the
// only place they are ever shown.
type MintResponse struct {
	Keys []string `json:"keys"`
}

// KeyRequest is the body of POST /v1/admin/block and /v1/admin/remaining.
type KeyRequest struct {
	Key string `json:"key"`
}

// KeyStatus is the answer of POST /v1/admin/block and /v1/admin/remaining.
// For a KMS host key Used and Limit count hosts.
type KeyStatus struct {
	Used      int  `json:"used"`
	Limit     int  `json:"limit"`
	Remaining int  `json:"remaining"`
	Blocked   bool `json:"blocked"`
}

// AdminAPI is what the admin verbs need: Admin works on the authority
// directory and database directly, ServiceClient through a running service.
type AdminAPI interface {
	Mint(ctx context.Context, r MintRequest) (MintResponse, error)
	Block(ctx context.Context, key string) (KeyStatus, error)
	Remaining(ctx context.Context, key string) (KeyStatus, error)
	Unblock(ctx context.Context, key string) (KeyStatus, error) // velocity.go
	Events(ctx context.Context, limit int) ([]Event, error)     // velocity.go
	Hosts(ctx context.Context) ([]WitnessedHost, error)         // witness.go
}

// Admin performs the admin operations on an authority and its ledger. The
// ledger may be nil for Mint.
type Admin struct {
	Authority *authority.Authority
	Ledger    *ledger.Ledger
	Now       func() time.Time
}

var _ AdminAPI = (*Admin)(nil)

// Mint makes r.Count keys (default 1). A kms-client request returns the
// catalog's published key once.
func (a *Admin) Mint(_ context.Context, r MintRequest) (MintResponse, error) {
	t, err := productkey.ParseType(r.Type)
	if err != nil {
		return MintResponse{}, hresult.Newf(hresult.BadRequest, "unknown key type %q (want mak, kms-host, kms-client or retail)", r.Type)
	}
	n := r.Count
	switch {
	case n == 0:
		n = 1
	case n < 0 || n > MaxMintCount:
		return MintResponse{}, hresult.Newf(hresult.BadRequest, "count must be 1..%d, got %d", MaxMintCount, n)
	}
	if t == productkey.KMSClient {
		n = 1 // one published key per SKU
	}
	out := MintResponse{Keys: make([]string, 0, n)}
	for range n {
		k, err := a.Authority.Mint(t, r.SKU, r.Activations, 0)
		if err != nil {
			return MintResponse{}, err
		}
		out.Keys = append(out.Keys, k.String())
	}
	return out, nil
}

// Block blocks a MAK, retail or KMS host key: every later activation with
// it is refused with 0xC004C003.
func (a *Admin) Block(ctx context.Context, key string) (KeyStatus, error) {
	ref, err := a.ref(key)
	if err != nil {
		return KeyStatus{}, err
	}
	if err := a.Ledger.Block(ctx, ref, a.Now().UTC()); err != nil {
		return KeyStatus{}, err
	}
	return a.status(ctx, ref)
}

// Remaining reports how much of a key is used.
func (a *Admin) Remaining(ctx context.Context, key string) (KeyStatus, error) {
	ref, err := a.ref(key)
	if err != nil {
		return KeyStatus{}, err
	}
	return a.status(ctx, ref)
}

func (a *Admin) status(ctx context.Context, ref ledger.KeyRef) (KeyStatus, error) {
	st, err := a.Ledger.Remaining(ctx, ref)
	if err != nil {
		return KeyStatus{}, err
	}
	return KeyStatus{Used: st.Used, Limit: st.Limit, Remaining: st.Remaining, Blocked: st.Blocked}, nil
}

// verifyKey parses text and checks that this authority minted it. Every
// failure is 0xC004C001 and names the key only by its last 5 characters.
func (a *Admin) verifyKey(text string) (productkey.Key, error) {
	k, err := productkey.Parse(text)
	if err != nil {
		return productkey.Key{}, hresult.Newf(hresult.KeyNotFound, "key %s is not a valid product key", productkey.Redact(text)).
			WithHint("check the key for typing mistakes")
	}
	if !k.VerifyMAC(a.Authority.MACSecret()) {
		return productkey.Key{}, notFound(k, "was not issued by this activation service")
	}
	return k, nil
}

// ref is the ledger reference of a key the admin names.
func (a *Admin) ref(text string) (ledger.KeyRef, error) {
	k, err := a.verifyKey(text)
	if err != nil {
		return ledger.KeyRef{}, err
	}
	cat := a.Authority.Catalog
	switch k.Type {
	case productkey.MAK, productkey.Retail:
		if prod, ok := cat.ProductByID(k.Product); ok {
			return makRef(k, prod), nil
		}
	case productkey.KMSHost:
		if g, ok := cat.GroupByID(k.Product); ok {
			return hostRef(k, g), nil
		}
	default:
		return ledger.KeyRef{}, hresult.Newf(hresult.BadRequest, "key %s is a published KMS client key: it has no count and cannot be blocked", k.Redacted())
	}
	return ledger.KeyRef{}, notFound(k, "is for a product the catalog does not have")
}

func (s *Server) handleMint(w http.ResponseWriter, r *http.Request) (any, error) {
	var req MintRequest
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	res, err := s.admin.Mint(r.Context(), req)
	if err != nil {
		return nil, err
	}
	last5 := make([]string, len(res.Keys))
	for i, k := range res.Keys {
		last5[i] = productkey.Redact(k)
	}
	s.log.InfoContext(r.Context(), "minted keys", "type", req.Type, "sku", req.SKU, "activations", req.Activations, "keys", last5)
	return res, nil
}

func (s *Server) handleBlock(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.keyOp(w, r, "blocked key", s.admin.Block)
}

func (s *Server) handleRemaining(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.keyOp(w, r, "", s.admin.Remaining)
}

// keyOp decodes a KeyRequest, runs op on it and logs msg (if any).
func (s *Server) keyOp(w http.ResponseWriter, r *http.Request, msg string, op func(context.Context, string) (KeyStatus, error)) (any, error) {
	var req KeyRequest
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	st, err := op(r.Context(), req.Key)
	if err != nil {
		return nil, err
	}
	if msg != "" {
		s.log.InfoContext(r.Context(), msg, "key", productkey.Redact(req.Key), "used", st.Used, "limit", st.Limit)
	}
	return st, nil
}
