package mak

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/protocol"
)

// hostReq is a host activation request for hostID with a fresh key pair.
func hostReq(tb testing.TB, key, hostID string) protocol.HostActivationRequest {
	tb.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return protocol.HostActivationRequest{Version: protocol.Version, HostKey: key, HostID: hostID,
		PublicKey: pub, ClientTime: now, Nonce: "n-" + hostID}
}

// activateHost posts a host activation and verifies the answer.
func (e *testEnv) activateHost(req protocol.HostActivationRequest) (protocol.HostGrant, int, *hresult.Error) {
	e.t.Helper()
	status, body := e.post("/v1/host/activate", "", req)
	if status != http.StatusOK {
		return protocol.HostGrant{}, status, errorOf(e.t, body)
	}
	env, err := protocol.ParseEnvelope(body)
	if err != nil {
		e.t.Fatal(err)
	}
	var g protocol.HostGrant
	if _, err := protocol.Open(env, e.auth.Public(), now, &g); err != nil {
		e.t.Fatalf("host grant does not verify: %v", err)
	}
	return g, status, nil
}

func TestHostActivate(t *testing.T) {
	e := newEnv(t, "")
	key := e.mint(productkey.KMSHost, "workstation-ent", 0)
	req := hostReq(t, key, "kms-1")
	g, status, herr := e.activateHost(req)
	if herr != nil {
		t.Fatalf("HTTP %d %v", status, herr)
	}
	if g.HostID != "kms-1" || !slices.Equal(g.Groups, []string{"workstation"}) || !g.IssuedAt.Equal(now) {
		t.Errorf("host grant %+v", g)
	}
	cert, err := protocol.VerifyCertificate(g.Certificate, e.auth.Public(), now)
	if err != nil {
		t.Fatalf("host certificate: %v", err)
	}
	if cert.Role != protocol.RoleKMSHost || cert.Subject != "kms-1" || !bytes.Equal(cert.PublicKey, req.PublicKey) ||
		!slices.Equal(cert.Groups, []string{"workstation"}) || !cert.NotAfter.Equal(now.Add(HostCertValidity)) {
		t.Errorf("host certificate %+v", cert)
	}

	// Refusals: wrong key kinds, forgery, clock.
	mak := e.mint(productkey.MAK, "workstation-ent", 5)
	forged, _ := productkey.Mint(productkey.Fields{Type: productkey.KMSHost, Product: 2, Serial: 7}, []byte("not the secret"))
	skewed := hostReq(t, key, "kms-1")
	skewed.ClientTime = now.Add(5 * time.Hour)
	noKey := hostReq(t, key, "kms-1")
	noKey.PublicKey = noKey.PublicKey[:10]
	for name, c := range map[string]struct {
		req    protocol.HostActivationRequest
		status int
		code   hresult.Code
	}{
		"MAK as host key":  {hostReq(t, mak, "kms-1"), 403, hresult.KeyNotFound},
		"forged host key":  {hostReq(t, forged.String(), "kms-1"), 403, hresult.KeyNotFound},
		"clock 5h ahead":   {skewed, 403, hresult.ClockSkew},
		"short public key": {noKey, 400, hresult.BadRequest},
		"missing host key": {hostReq(t, "", "kms-1"), 400, hresult.BadRequest},
		"missing host id":  {hostReq(t, key, ""), 400, hresult.BadRequest},
		"garbage host key": {hostReq(t, "XXXX", "kms-1"), 403, hresult.KeyNotFound},
		"retail key":       {hostReq(t, e.mint(productkey.Retail, "server-std", 0), "kms-1"), 403, hresult.KeyNotFound},
	} {
		_, status, herr := e.activateHost(c.req)
		if herr == nil || status != c.status || herr.Code != c.code {
			t.Errorf("%s: HTTP %d %v, want %d %v", name, status, herr, c.status, c.code)
		}
	}
}

func TestHostKeyLimits(t *testing.T) {
	e := newEnv(t, "")
	key := e.mint(productkey.KMSHost, "suite-pro", 0)
	// Six distinct hosts.
	for i := 1; i <= 6; i++ {
		if _, status, herr := e.activateHost(hostReq(t, key, fmt.Sprintf("kms-%d", i))); herr != nil {
			t.Fatalf("host %d: HTTP %d %v", i, status, herr)
		}
	}
	_, status, herr := e.activateHost(hostReq(t, key, "kms-7"))
	wantRefused(t, status, herr, http.StatusForbidden, hresult.HostKeyLimit)
	// Host 1 activates 9 more times (10 in all), then is refused.
	for i := 2; i <= 10; i++ {
		if _, status, herr := e.activateHost(hostReq(t, key, "kms-1")); herr != nil {
			t.Fatalf("host 1, activation %d: HTTP %d %v", i, status, herr)
		}
	}
	_, status, herr = e.activateHost(hostReq(t, key, "kms-1"))
	wantRefused(t, status, herr, http.StatusForbidden, hresult.HostKeyLimit)
	// Host 2 still has activations left.
	if _, _, herr := e.activateHost(hostReq(t, key, "kms-2")); herr != nil {
		t.Fatalf("host 2 after host 1 hit its limit: %v", herr)
	}
	if st := e.remaining(key); st.Used != 6 || st.Limit != 6 || st.Remaining != 0 {
		t.Errorf("host key status %+v, want 6 of 6 hosts", st)
	}

	// A blocked (leaked) host key activates no host, old or new.
	leaked := e.mint(productkey.KMSHost, "server-std", 0)
	if _, _, herr := e.activateHost(hostReq(t, leaked, "kms-a")); herr != nil {
		t.Fatal(herr)
	}
	if status, body := e.post("/v1/admin/block", testToken, KeyRequest{Key: leaked}); status != 200 {
		t.Fatalf("block host key: HTTP %d %s", status, body)
	}
	for _, h := range []string{"kms-a", "kms-b"} {
		_, status, herr := e.activateHost(hostReq(t, leaked, h))
		wantRefused(t, status, herr, http.StatusForbidden, hresult.KeyBlocked)
	}
	noKeyIn(t, "service log", e.logs.String(), key, leaked)
}
