package kms

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"strings"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/protocol"
)

// FloorHandler is the benchmark's floor: a bare handler for POST
// /v1/kms/activate that decodes the request as the host does, seals a grant
// of the same shape with a throw-away Ed25519 key and a certificate of the
// same size (protocol.Seal), and writes it as the host does. No counting,
// no history, no disk: the most a host on this machine could answer.
func FloorHandler(issuer string) (http.Handler, error) {
	_, root, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	pub, signer, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	cert, err := protocol.IssueCertificate(root, protocol.Certificate{Subject: strings.Repeat("f", 32), Role: protocol.RoleKMSHost,
		PublicKey: pub, Groups: []string{"suite"}, IssuedAt: time.Now()})
	if err != nil {
		return nil, err
	}
	s := DefaultSettings()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/kms/activate", func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeRequest(r)
		if err != nil {
			writeJSON(w, statusOf(err), protocol.ErrorFrom(err))
			return
		}
		now := time.Now().UTC()
		env, err := protocol.Seal(grantFor(req, now, Validity, s, floorCount, issuer), signer, cert)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, protocol.ErrorFrom(hresult.Wrap(hresult.Internal, err, "seal")))
			return
		}
		writeEnvelope(w, &env)
	})
	return mux, nil
}

// floorCount is the count the floor puts in its grants: that of a group
// of threshold 5 at its cap, as in the host's bench runs.
const floorCount = 10

// grantFor is the grant answering req at now with the given count.
func grantFor(req protocol.ActivationRequest, now time.Time, validity time.Duration, s Settings, count int, issuer string) protocol.Grant {
	return protocol.Grant{
		Kind: protocol.KindKMS, SKU: req.SKU, HardwareID: req.HardwareID, CMID: req.CMID,
		IssuedAt: now, ExpiresAt: now.Add(validity),
		ActivationInterval: s.ActivationInterval, RenewalInterval: s.RenewalInterval,
		CurrentCount: count, Issuer: issuer, Nonce: req.Nonce,
	}
}
