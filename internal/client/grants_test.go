package client_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/mak"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/store"
)

var gt0 = time.Date(2032, 6, 1, 9, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// signer is a key with a certificate from the test authority's root.
type signer struct {
	key  ed25519.PrivateKey
	cert string
}

// kmsHostSigner is a KMS host key certified by a's root for the suite
// group, valid from issued for validity: what an operator who activated a
// KMS host holds.
func kmsHostSigner(t *testing.T, a *authority.Authority, issued time.Time, validity time.Duration) signer {
	t.Helper()
	pub, key, _ := ed25519.GenerateKey(nil)
	cert, err := protocol.IssueCertificate(a.Root, protocol.Certificate{Subject: "rogue-kms", Role: protocol.RoleKMSHost,
		PublicKey: pub, Groups: []string{"suite"}, IssuedAt: issued, NotAfter: issued.Add(validity)})
	if err != nil {
		t.Fatal(err)
	}
	return signer{key, cert}
}

// rolelessSigner is a service key whose certificate, signed by a's root,
// has no role field, as certificates made before roles existed.
func rolelessSigner(t *testing.T, a *authority.Authority) signer {
	t.Helper()
	pub, key, _ := ed25519.GenerateKey(nil)
	body, err := json.Marshal(map[string]any{"subject": "service", "public_key": []byte(pub),
		"issued_at": gt0.Add(-day), "not_after": gt0.Add(365 * day)})
	if err != nil {
		t.Fatal(err)
	}
	outer, err := json.Marshal(protocol.SignedCertificate{Certificate: base64.StdEncoding.EncodeToString(body),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(a.Root, body))})
	if err != nil {
		t.Fatal(err)
	}
	return signer{key, base64.StdEncoding.EncodeToString(outer)}
}

// grantFor is the grant an honest signer would answer req with at gt0.
func grantFor(req protocol.ActivationRequest) protocol.Grant {
	g := protocol.Grant{Kind: req.Kind, SKU: req.SKU, HardwareID: req.HardwareID, CMID: req.CMID, IssuedAt: gt0, Nonce: req.Nonce}
	if req.Kind == protocol.KindKMS {
		g.ExpiresAt, g.ActivationInterval, g.RenewalInterval, g.CurrentCount, g.Issuer = gt0.Add(180*day), 120, 10080, 25, "rogue-kms"
	} else {
		g.Issuer, g.KeyLast5 = "service", req.Key[len(req.Key)-5:]
	}
	return g
}

// forger serves POST /v1/activate and /v1/kms/activate on loopback,
// answering every request with grantFor(req) changed by edit and signed by s.
func forger(t *testing.T, s signer, edit func(*protocol.Grant)) *httptest.Server {
	t.Helper()
	answer := func(w http.ResponseWriter, r *http.Request) {
		var req protocol.ActivationRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Error(err)
			return
		}
		g := grantFor(req)
		edit(&g)
		_ = json.NewEncoder(w).Encode(logged(t, g, s.key, s.cert))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/activate", answer)
	mux.HandleFunc("POST /v1/kms/activate", answer)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

// forgedGrant is one grant a signer other than the rightful one made.
type forgedGrant struct {
	name   string
	signer func(t *testing.T, a *authority.Authority) signer
	key    productkey.Type // the key the machine has installed
	sku    string
	edit   func(*protocol.Grant)
	honest bool // a control: the grant is accepted
}

func forgedGrants() []forgedGrant {
	host := func(t *testing.T, a *authority.Authority) signer { return kmsHostSigner(t, a, gt0.Add(-day), 365*day) }
	service := func(t *testing.T, a *authority.Authority) signer {
		key, cert, err := a.ServiceSigner(gt0.Add(-day))
		if err != nil {
			t.Fatal(err)
		}
		return signer{key, cert}
	}
	keep := func(*protocol.Grant) {}
	return []forgedGrant{
		{name: "honest KMS grant", signer: host, key: productkey.KMSClient, sku: "suite-pro", edit: keep, honest: true},
		{name: "honest MAK grant", signer: service, key: productkey.MAK, sku: "suite-pro", edit: keep, honest: true},
		{name: "KMS host key claims a permanent MAK activation", signer: host, key: productkey.MAK, sku: "suite-pro", edit: keep},
		{name: "KMS host key claims MAK for a KMS client", signer: host, key: productkey.KMSClient, sku: "suite-pro",
			edit: func(g *protocol.Grant) { g.Kind, g.ExpiresAt = protocol.KindMAK, time.Time{} }},
		{name: "KMS grant valid until 2099", signer: host, key: productkey.KMSClient, sku: "suite-pro",
			edit: func(g *protocol.Grant) { g.ExpiresAt = time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC) }},
		{name: "KMS grant for a SKU outside the host's group", signer: host, key: productkey.KMSClient, sku: "workstation-ent", edit: keep},
		{name: "KMS grant issued after the host certificate expired",
			signer: func(t *testing.T, a *authority.Authority) signer {
				return kmsHostSigner(t, a, gt0.Add(-30*day), 30*day+time.Hour)
			},
			key: productkey.KMSClient, sku: "suite-pro",
			edit: func(g *protocol.Grant) { g.IssuedAt = gt0.Add(2 * time.Hour); g.ExpiresAt = g.IssuedAt.Add(180 * day) }},
		{name: "KMS grant forward-dated by 100 days", signer: host, key: productkey.KMSClient, sku: "suite-pro",
			edit: func(g *protocol.Grant) { g.IssuedAt = gt0.Add(100 * day); g.ExpiresAt = g.IssuedAt.Add(180 * day) }},
		{name: "KMS grant backdated before the host certificate",
			signer: func(t *testing.T, a *authority.Authority) signer { return kmsHostSigner(t, a, gt0, 365*day) },
			key:    productkey.KMSClient, sku: "suite-pro",
			edit: func(g *protocol.Grant) { g.IssuedAt = gt0.Add(-2 * day); g.ExpiresAt = g.IssuedAt.Add(180 * day) }},
		{name: "service certificate without role", signer: rolelessSigner, key: productkey.MAK, sku: "suite-pro", edit: keep},
	}
}

// grantMachine is a client at gt0 with a key of type typ for sku installed,
// using srv as its activation service and (pinned) KMS host.
func grantMachine(t *testing.T, a *authority.Authority, typ productkey.Type, sku string, srv *httptest.Server) *client.Client {
	t.Helper()
	c := client.New(client.Options{StoreDir: filepath.Join(t.TempDir(), "store"), CatalogPath: filepath.Join(a.Dir, authority.CatalogFile),
		Now: func() time.Time { return gt0 }, HardwareID: "hw-1", ServiceURL: srv.URL})
	n := 0
	if typ == productkey.MAK {
		n = 5
	}
	k, err := a.Mint(typ, sku, n, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.InstallKey(k.String()); err != nil {
		t.Fatal(err)
	}
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	if _, err := c.Configure(func(s *client.Settings) error { s.KMSHost, s.KMSPort = "127.0.0.1", port; return nil }); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestForgedGrantRefusedOnReceipt: a grant its signer may not sign is
// refused when it arrives (exit 3) and nothing is stored.
func TestForgedGrantRefusedOnReceipt(t *testing.T) {
	a, err := authority.Init(filepath.Join(t.TempDir(), "auth"), gt0.Add(-10*day))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range forgedGrants() {
		t.Run(tc.name, func(t *testing.T) {
			srv := forger(t, tc.signer(t, a), tc.edit)
			c := grantMachine(t, a, tc.key, tc.sku, srv)
			_, err := c.Activate(context.Background(), client.ActOptions{})
			p := status(t, c, tc.sku)
			if tc.honest {
				if err != nil || p.Status != license.Licensed {
					t.Fatalf("honest grant: %v, status %s", err, p.Status)
				}
				return
			}
			t.Log(err)
			if err == nil {
				t.Fatal("Activate accepted the grant")
			}
			if e := hresult.From(err); e.Exit != hresult.ExitInvalid {
				t.Fatalf("Activate: %v (exit %d), want a refusal with exit 3", err, e.Exit)
			}
			if p.Status != license.OOBGrace || p.Permanent || p.ActivationExpiresAt != nil {
				t.Errorf("a refused grant left %+v", p)
			}
		})
	}
}

// TestForgedGrantRefusedInStore: the same grants written straight into
// the store (checksum right, Product.Grant matching the payload, as a
// careful forger would) make every read fail with exit 7, and the store is
// left as it is.
func TestForgedGrantRefusedInStore(t *testing.T) {
	a, err := authority.Init(filepath.Join(t.TempDir(), "auth"), gt0.Add(-10*day))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range forgedGrants() {
		t.Run(tc.name, func(t *testing.T) {
			srv := forger(t, tc.signer(t, a), tc.edit) // not contacted: only its port is pinned
			c := grantMachine(t, a, tc.key, tc.sku, srv)
			s := tc.signer(t, a)
			writeGrant(t, c.StoreDir(), tc.sku, s, tc.edit)
			path := filepath.Join(c.StoreDir(), "state.json")
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Status(false)
			if tc.honest {
				if err != nil {
					t.Fatalf("honest grant in the store: %v", err)
				}
				if p := status(t, c, tc.sku); p.Status != license.Licensed {
					t.Fatalf("honest grant in the store: status %s", p.Status)
				}
				return
			}
			if err == nil {
				t.Fatal("the store with a forged grant was read as trustworthy")
			}
			t.Log(err)
			wantCode(t, err, hresult.StoreTampered, hresult.ExitStore)
			_, err = c.Activate(context.Background(), client.ActOptions{})
			wantCode(t, err, hresult.StoreTampered, hresult.ExitStore)
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("the store with a forged grant was rewritten")
			}
		})
	}
}

// writeGrant stores, for sku, the grant an activation would have stored had
// s answered with grantFor(request) changed by edit.
func writeGrant(t *testing.T, dir, sku string, s signer, edit func(*protocol.Grant)) {
	t.Helper()
	var st client.State
	err := store.New(dir).Update(&st, func(bool) error {
		p := st.Products[sku]
		kind := protocol.KindKMS
		if p.Channel != license.KMSClient {
			kind = protocol.KindMAK
		}
		g := grantFor(protocol.ActivationRequest{Kind: kind, SKU: sku, HardwareID: "hw-1", CMID: p.CMID, Key: p.Key, Nonce: "n"})
		edit(&g)
		env, err := protocol.Seal(g, s.key, s.cert)
		if err != nil {
			return err
		}
		p.Envelope = &env
		p.Grant = &license.Grant{Kind: g.Kind, ActivatedAt: g.IssuedAt, ExpiresAt: g.ExpiresAt, HardwareID: g.HardwareID}
		p.LastAttempt = g.IssuedAt
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestProxyConfirmationFromAheadService: an offline machine whose clock is
// days behind the service's applies its confirmation, and the store that
// holds it stays readable (the future check is for KMS grants only).
func TestProxyConfirmationFromAheadService(t *testing.T) {
	s := newMAKService(t)
	key := s.mint(t, productkey.MAK, "suite-pro", 1)
	c := client.New(client.Options{StoreDir: filepath.Join(t.TempDir(), "offline"), CatalogPath: filepath.Join(s.auth.Dir, authority.CatalogFile),
		Now: func() time.Time { return mt0.Add(-3 * day) }, HardwareID: "offline-1"})
	if _, err := c.InstallKey(key); err != nil {
		t.Fatal(err)
	}
	req, err := c.InstallationRequest("")
	if err != nil {
		t.Fatal(err)
	}
	conf, err := (&mak.ServiceClient{URL: s.url}).Proxy(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ApplyConfirmation(conf); err != nil {
		t.Fatal(err)
	}
	if p := status(t, c, "suite-pro"); p.Status != license.Licensed || !p.Permanent {
		t.Fatalf("after the confirmation: %+v", p)
	}
}
