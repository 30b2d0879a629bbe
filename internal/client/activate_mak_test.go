package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/ledger"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/mak"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/protocol"
)

var mt0 = time.Date(2031, 2, 3, 10, 0, 0, 0, time.UTC)

// makService runs a real activation service on loopback.
type makService struct {
	auth *authority.Authority
	adm  *mak.Admin
	url  string
}

func newMAKService(t *testing.T) *makService {
	t.Helper()
	a, err := authority.Init(filepath.Join(t.TempDir(), "auth"), mt0)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Create(context.Background(), filepath.Join(t.TempDir(), "service.db"), a.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	now := func() time.Time { return mt0 }
	s, err := mak.New(a, l, mak.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return &makService{auth: a, adm: &mak.Admin{Authority: a, Ledger: l, Now: now}, url: ts.URL}
}

func (s *makService) mint(t *testing.T, typ productkey.Type, sku string, n int) string {
	t.Helper()
	k, err := s.auth.Mint(typ, sku, n, 0)
	if err != nil {
		t.Fatal(err)
	}
	return k.String()
}

func (s *makService) used(t *testing.T, key string) int {
	t.Helper()
	st, err := s.adm.Remaining(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return st.Used
}

// machine is a client on hardware hwid using the service at url, with keys
// installed.
func machine(t *testing.T, s *makService, store, url, hwid string, keys ...string) *client.Client {
	t.Helper()
	c := client.New(client.Options{StoreDir: store, CatalogPath: filepath.Join(s.auth.Dir, authority.CatalogFile),
		Now: func() time.Time { return mt0 }, HardwareID: hwid, ServiceURL: url})
	for _, k := range keys {
		if _, err := c.InstallKey(k); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func status(t *testing.T, c *client.Client, sku string) client.ProductStatus {
	t.Helper()
	r, err := c.Status(false)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Products {
		if p.SKU == sku {
			return p
		}
	}
	t.Fatalf("no product %s", sku)
	return client.ProductStatus{}
}

func wantCode(t *testing.T, err error, code hresult.Code, exit int) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v exit %d", code, exit)
	}
	if e := hresult.From(err); e.Code != code || e.Exit != exit {
		t.Fatalf("error %v (exit %d), want %v exit %d", err, e.Exit, code, exit)
	}
}

func TestActivateMAK(t *testing.T) {
	s := newMAKService(t)
	key := s.mint(t, productkey.MAK, "suite-pro", 1)
	c := machine(t, s, filepath.Join(t.TempDir(), "m1"), s.url+"/", "hw-1", key)
	res, err := c.Activate(context.Background(), client.ActOptions{})
	if err != nil || len(res) != 1 || res[0].Code != hresult.OK || res[0].Status != license.Licensed {
		t.Fatalf("Activate: %+v %v", res, err)
	}
	if p := status(t, c, "suite-pro"); !p.Permanent || p.ActivationExpiresAt != nil {
		t.Errorf("after MAK activation: %+v, want licensed permanently", p)
	}
	// Again: nothing spent; another machine exhausts the key.
	if _, err := c.Activate(context.Background(), client.ActOptions{}); err != nil {
		t.Fatal(err)
	}
	other := machine(t, s, filepath.Join(t.TempDir(), "m2"), s.url, "hw-2", key)
	_, err = other.Activate(context.Background(), client.ActOptions{})
	wantCode(t, err, hresult.KeyExhausted, hresult.ExitRefused)
	if n := s.used(t, key); n != 1 {
		t.Errorf("%d activations used, want 1", n)
	}
	if p := status(t, other, "suite-pro"); p.Status != license.OOBGrace || p.Reason.Code() != hresult.KeyExhausted {
		t.Errorf("refused machine: %+v", p)
	}

	none := machine(t, s, filepath.Join(t.TempDir(), "m3"), "", "hw-3", key)
	_, err = none.Activate(context.Background(), client.ActOptions{})
	wantCode(t, err, hresult.NoHost, hresult.ExitUnreachable)
}

// TestActivateMAKChecksAnswer points the client at services that answer
// with a valid signature but the wrong content, or with a foreign
// signature: nothing is stored.
func TestActivateMAKChecksAnswer(t *testing.T) {
	s := newMAKService(t)
	key := s.mint(t, productkey.MAK, "suite-pro", 5)
	key2 := s.mint(t, productkey.MAK, "suite-pro", 5)
	other, err := authority.Init(filepath.Join(t.TempDir(), "other"), mt0)
	if err != nil {
		t.Fatal(err)
	}
	// fake answers a MAK request with a grant that edit changes, signed by
	// the service key of signer.
	fake := func(signer *authority.Authority, edit func(*protocol.Grant)) string {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var req protocol.ActivationRequest
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				t.Error(err)
			}
			g := protocol.Grant{Kind: protocol.KindMAK, SKU: req.SKU, HardwareID: req.HardwareID, IssuedAt: mt0,
				Issuer: mak.Issuer, KeyLast5: req.Key[len(req.Key)-5:], Nonce: req.Nonce}
			edit(&g)
			priv, cert, err := signer.ServiceSigner(mt0)
			if err != nil {
				t.Fatal(err)
			}
			json.NewEncoder(w).Encode(logged(t, g, priv, cert))
		}))
		t.Cleanup(ts.Close)
		return ts.URL
	}
	cases := []struct {
		name string
		url  string
		code hresult.Code
	}{
		{"honest", fake(s.auth, func(*protocol.Grant) {}), hresult.OK},
		{"other hardware", fake(s.auth, func(g *protocol.Grant) { g.HardwareID = "hw-other" }), hresult.WrongMachine},
		{"other SKU", fake(s.auth, func(g *protocol.Grant) { g.SKU = "server-std" }), hresult.WrongMachine},
		{"KMS grant", fake(s.auth, func(g *protocol.Grant) { g.Kind = protocol.KindKMS }), hresult.WrongMachine},
		{"another key", fake(s.auth, func(g *protocol.Grant) { g.KeyLast5 = key2[len(key2)-5:] }), hresult.WrongMachine},
		{"replayed answer", fake(s.auth, func(g *protocol.Grant) { g.Nonce = "old" }), hresult.WrongMachine},
		{"foreign root", fake(other, func(*protocol.Grant) {}), hresult.BadSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := machine(t, s, filepath.Join(t.TempDir(), "m"), tc.url, "hw-1", key)
			_, err := c.Activate(context.Background(), client.ActOptions{})
			p := status(t, c, "suite-pro")
			if tc.code == hresult.OK {
				if err != nil || p.Status != license.Licensed {
					t.Fatalf("honest answer: %v, status %s", err, p.Status)
				}
				return
			}
			wantCode(t, err, tc.code, hresult.ExitInvalid)
			if p.Status != license.OOBGrace {
				t.Errorf("a refused answer left the product %s", p.Status)
			}
		})
	}
}

func TestProxyActivation(t *testing.T) {
	s := newMAKService(t)
	key := s.mint(t, productkey.MAK, "server-std", 3)
	key2 := s.mint(t, productkey.Retail, "suite-pro", 0)
	store := filepath.Join(t.TempDir(), "offline")
	c := machine(t, s, store, "", "offline-1", key)
	req, err := c.InstallationRequest("")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(req, protocol.RequestPrefix) || strings.Contains(req, key) || strings.Contains(req, strings.ReplaceAll(key, "-", "")) {
		t.Fatalf("request %.20s... is not VA1- text or shows the key", req)
	}
	conf, err := (&mak.ServiceClient{URL: s.url}).Proxy(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}

	// Another machine, or this machine with another product only: refused.
	for name, m := range map[string]*client.Client{
		"other machine": machine(t, s, filepath.Join(t.TempDir(), "o"), "", "offline-2", key),
		"other product": machine(t, s, filepath.Join(t.TempDir(), "p"), "", "offline-1", key2),
	} {
		_, err := m.ApplyConfirmation(conf)
		wantCode(t, err, hresult.WrongMachine, hresult.ExitInvalid)
		if r, _ := m.Status(false); r.Products[0].Status != license.OOBGrace {
			t.Errorf("%s: refused confirmation changed the status to %s", name, r.Products[0].Status)
		}
	}
	// A confirmation that was edited does not verify.
	var env protocol.Envelope
	if err := protocol.DecodeText(protocol.ConfirmationPrefix, conf, &env); err != nil {
		t.Fatal(err)
	}
	env.Receipt.Index++ // the receipt no longer proves this payload
	edited, _ := protocol.EncodeText(protocol.ConfirmationPrefix, env)
	_, err = c.ApplyConfirmation(edited)
	wantCode(t, err, hresult.BadSignature, hresult.ExitInvalid)

	r, err := c.ApplyConfirmation(" \n" + conf[:40] + "\n" + conf[40:] + "\n") // pasted with line breaks
	if err != nil || r.Status != license.Licensed || r.SKU != "server-std" {
		t.Fatalf("ApplyConfirmation: %+v %v", r, err)
	}
	// Reimage: a fresh store on the same hardware, the key reinstalled.
	if err := os.RemoveAll(store); err != nil {
		t.Fatal(err)
	}
	c = machine(t, s, store, "", "offline-1", key)
	if r, err := c.ApplyConfirmation(conf); err != nil || r.Status != license.Licensed {
		t.Fatalf("after reimage: %+v %v", r, err)
	}
	if n := s.used(t, key); n != 1 {
		t.Errorf("%d activations used, want 1", n)
	}

	// Which product: --sku needed with two; KMS keys have no proxy form.
	c2 := machine(t, s, filepath.Join(t.TempDir(), "two"), "", "hw-9", key, key2)
	_, err = c2.InstallationRequest("")
	wantCode(t, err, hresult.InvalidArg, hresult.ExitUsage)
	if !strings.Contains(err.Error(), "server-std, suite-pro") {
		t.Errorf("error %q does not list the products", err)
	}
	if _, err := c2.InstallationRequest("SUITE-PRO"); err != nil {
		t.Errorf("--sku in another case: %v", err)
	}
	kmsKey := s.mint(t, productkey.KMSClient, "workstation-ent", 0)
	c3 := machine(t, s, filepath.Join(t.TempDir(), "kms"), "", "hw-10", kmsKey)
	_, err = c3.InstallationRequest("")
	wantCode(t, err, hresult.KeyNotInstalled, hresult.ExitInvalid)
	_, err = c3.InstallationRequest("workstation-ent")
	wantCode(t, err, hresult.InvalidArg, hresult.ExitInvalid)
}
