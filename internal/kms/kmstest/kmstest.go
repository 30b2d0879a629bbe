// Package kmstest provides test fixtures for KMS hosts: an authority in a
// temporary directory, a stand-in for the activation service's host
// activation endpoint (POST /v1/host/activate, the contract of design §4),
// and a ready, activated host data directory.
package kmstest

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/machineid"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/translog"
)

// Authority creates an authority (root key and template catalog) in a
// temporary directory.
func Authority(t testing.TB, now time.Time) *authority.Authority {
	t.Helper()
	a, err := authority.Init(filepath.Join(t.TempDir(), "auth"), now)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// HostActivation is a handler for POST /v1/host/activate that certifies a
// host key pair under a KMS host key minted by a, as the activation service
// does: the answer is an envelope signed by the service key whose payload is
// a protocol.HostGrant with a root-signed kms-host certificate.
func HostActivation(a *authority.Authority, now func() time.Time) http.Handler {
	return hostActivation(a, now, 0)
}

// hostActivation is HostActivation with certificates valid for validity
// (0: no expiry).
func hostActivation(a *authority.Authority, now func() time.Time, validity time.Duration) http.Handler {
	mux := http.NewServeMux()
	var logs serviceLogs
	mux.HandleFunc("POST /v1/host/activate", func(w http.ResponseWriter, r *http.Request) {
		fail := func(status int, err *hresult.Error) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(protocol.ErrorFrom(err))
		}
		var req protocol.HostActivationRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&req); err != nil {
			fail(http.StatusBadRequest, hresult.New(hresult.BadRequest, "bad JSON"))
			return
		}
		if err := req.Validate(); err != nil {
			fail(http.StatusBadRequest, hresult.From(err))
			return
		}
		k, err := productkey.Parse(req.HostKey)
		if err != nil || k.Type != productkey.KMSHost || !k.VerifyMAC(a.MACSecret()) {
			fail(http.StatusForbidden, hresult.New(hresult.KeyNotFound, "the KMS host key is not recognised"))
			return
		}
		g, ok := a.Catalog.GroupByID(k.Product)
		if !ok {
			fail(http.StatusForbidden, hresult.New(hresult.KeyNotFound, "the KMS host key names no group"))
			return
		}
		at := now().UTC()
		var notAfter time.Time
		if validity > 0 {
			notAfter = at.Add(validity)
		}
		cert, err := protocol.IssueCertificate(a.Root, protocol.Certificate{Subject: req.HostID, Role: protocol.RoleKMSHost,
			PublicKey: ed25519.PublicKey(req.PublicKey), Groups: []string{g.Name}, IssuedAt: at, NotAfter: notAfter})
		if err != nil {
			fail(http.StatusInternalServerError, hresult.Wrap(hresult.Internal, err, "certificate"))
			return
		}
		signer, scert, err := a.ServiceSigner(at)
		if err != nil {
			fail(http.StatusInternalServerError, hresult.Wrap(hresult.Internal, err, "signer"))
			return
		}
		env, err := logs.logged(protocol.HostGrant{HostID: req.HostID, Groups: []string{g.Name}, Certificate: cert, IssuedAt: at}, signer, scert)
		if err != nil {
			fail(http.StatusInternalServerError, hresult.Wrap(hresult.Internal, err, "seal"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(env)
	})
	return mux
}

// Service starts HostActivation on a loopback httptest server, closed at
// the end of the test.
func Service(t testing.TB, a *authority.Authority, now func() time.Time) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(HostActivation(a, now))
	t.Cleanup(srv.Close)
	return srv
}

// ActivatedDir makes a host data directory in a temporary directory with
// a KMS host key for each SKU's group installed and activated against a
// stand-in service for this machine (VOLACT_MACHINE_ID, else its hardware
// id), and returns the directory.
func ActivatedDir(t testing.TB, a *authority.Authority, now time.Time, skus ...string) string {
	t.Helper()
	return ActivatedDirFor(t, a, now, 0, skus...)
}

// ActivatedDirFor is ActivatedDir with host certificates valid for validity
// from now (0: no expiry).
func ActivatedDirFor(t testing.TB, a *authority.Authority, now time.Time, validity time.Duration, skus ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "kms")
	catData, err := os.ReadFile(filepath.Join(a.Dir, authority.CatalogFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, sku := range skus {
		key, err := a.Mint(productkey.KMSHost, sku, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kms.InstallKey(dir, key.String(), catData, now); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(hostActivation(a, func() time.Time { return now }, validity))
	t.Cleanup(srv.Close)
	// This machine's id, as volactd kms activate sends it: a volactd kms
	// serve started by the test on this directory serves it.
	hostID, err := machineid.ID(os.Getenv("VOLACT_MACHINE_ID"))
	if err != nil {
		hostID = "test-host"
	}
	if _, err := kms.ActivateHost(context.Background(), dir, srv.URL, hostID, srv.Client(), now); err != nil {
		t.Fatal(err)
	}
	return dir
}

// serviceLogs are the stand-in service's transparency logs, in memory, one
// per signing key, so that its answers carry receipts as the service's do.
type serviceLogs struct {
	mu   sync.Mutex
	logs map[string]*translog.Memory
}

// logged appends v to the log of key and returns its envelope.
func (s *serviceLogs) logged(v any, key ed25519.PrivateKey, cert string) (protocol.Envelope, error) {
	origin := translog.Origin(translog.OriginMAK, key.Public().(ed25519.PublicKey))
	s.mu.Lock()
	m := s.logs[origin]
	if m == nil {
		signer, err := translog.NewSigner(origin, key)
		if err == nil {
			m, err = translog.NewMemory(signer)
		}
		if err != nil {
			s.mu.Unlock()
			return protocol.Envelope{}, err
		}
		if s.logs == nil {
			s.logs = map[string]*translog.Memory{}
		}
		s.logs[origin] = m
	}
	s.mu.Unlock()
	payload, err := protocol.EncodePayload(v)
	if err != nil {
		return protocol.Envelope{}, err
	}
	r, err := m.Append(payload)
	if err != nil {
		return protocol.Envelope{}, err
	}
	return protocol.Logged(payload, r, cert), nil
}
