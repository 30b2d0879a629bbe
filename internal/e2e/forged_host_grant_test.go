package e2e_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/machineid"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/translog"
)

// rogueKMSHost is a KMS host run by a hostile operator: it holds a real
// host key pair, certified by the authority for the groups of its KMS host
// keys, and answers POST /v1/kms/activate with whatever grant forge makes
// of the honest one. Every answer is logged, with a receipt, in a
// transparency log whose checkpoints the host key signs, as a real host's
// are: only the rules on what a KMS host may sign can refuse it.
type rogueKMSHost struct {
	srv *httptest.Server

	mu    sync.Mutex
	forge func(*protocol.Grant) // nil: the honest grant
	last  *protocol.Envelope    // the last answer sent
}

// startRogueKMSHost certifies a fresh host key pair for the groups of skus
// at the kmstest stand-in of the activation service (as volactd kms
// activate does) and serves it on 127.0.0.1 until the end of the test.
func startRogueKMSHost(t *testing.T, a *authority.Authority, now time.Time, skus ...string) *rogueKMSHost {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	svc := kmstest.Service(t, a, func() time.Time { return now })
	var cert string
	for _, sku := range skus {
		hk, err := a.Mint(productkey.KMSHost, sku, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		nonce, _ := protocol.NewNonce()
		status, body, err := postJSON(svc.Client(), svc.URL+"/v1/host/activate", protocol.HostActivationRequest{
			Version: protocol.Version, HostKey: hk.String(), HostID: "rogue-kms", PublicKey: pub, ClientTime: now, Nonce: nonce})
		if err != nil || status != http.StatusOK {
			t.Fatalf("host activation for %s: HTTP %d %v\n%s", sku, status, err, body)
		}
		env, err := protocol.ParseEnvelope(body)
		if err != nil {
			t.Fatal(err)
		}
		var hg protocol.HostGrant
		if _, err := protocol.Open(env, a.Public(), now, &hg); err != nil {
			t.Fatal(err)
		}
		cert = hg.Certificate
	}
	c, err := protocol.VerifyCertificate(cert, a.Public(), now)
	if err != nil || c.Role != protocol.RoleKMSHost {
		t.Fatalf("host certificate: %+v %v, want a kms-host certificate", c, err)
	}

	signer, err := translog.NewSigner(translog.Origin(translog.OriginKMS, pub), priv)
	if err != nil {
		t.Fatal(err)
	}
	tlog, err := translog.NewMemory(signer)
	if err != nil {
		t.Fatal(err)
	}
	h := &rogueKMSHost{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/kms/activate", func(w http.ResponseWriter, r *http.Request) {
		var req protocol.ActivationRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Validate() != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		prod, ok := a.Catalog.Product(req.SKU)
		if !ok {
			http.Error(w, "unknown product", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		g := kms.GrantFor(req, time.Now().UTC(), prod.KMSValidity(), kms.DefaultSettings(), 25, "rogue-kms")
		if h.forge != nil {
			h.forge(&g)
		}
		payload, err := protocol.EncodePayload(g)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		rc, err := tlog.Append(payload)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		env := protocol.Logged(payload, rc, cert)
		h.last = &env
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(env)
	})
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

// addr is the host's address for volact sethst.
func (h *rogueKMSHost) addr() string { return strings.TrimPrefix(h.srv.URL, "http://") }

// answer makes the host forge its next answers with forge (nil: honest)
// and forgets the last answer.
func (h *rogueKMSHost) answer(forge func(*protocol.Grant)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.forge, h.last = forge, nil
}

// lastAnswer returns the last answer the host sent.
func (h *rogueKMSHost) lastAnswer(t *testing.T) protocol.Envelope {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last == nil {
		t.Fatal("the rogue KMS host was not asked")
	}
	return *h.last
}

// productStatus runs volact dstatus --json and returns the status of sku.
func productStatus(t *testing.T, env []string, sku string) client.ProductStatus {
	t.Helper()
	var doc struct {
		Products []client.ProductStatus `json:"products"`
	}
	volactJSON(t, env, &doc, "dstatus", "--json")
	for _, p := range doc.Products {
		if p.SKU == sku {
			return p
		}
	}
	t.Fatalf("dstatus --json lists no %s", sku)
	return client.ProductStatus{}
}

// plantGrant writes env into the stored product sku as a careful forger
// would: the product's grant and last result as a real activation leaves
// them, and the hardware the grant's nonce commits to (this machine's,
// override hwid), so that only the check of what the signer may sign can
// tell.
func plantGrant(t *testing.T, state map[string]any, sku string, env protocol.Envelope, hwid string) {
	t.Helper()
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var g protocol.Grant
	if err := json.Unmarshal(payload, &g); err != nil {
		t.Fatal(err)
	}
	id, err := machineid.Read(machineid.Options{Override: hwid})
	if err != nil {
		t.Fatal(err)
	}
	if !id.Committed(g.Nonce) {
		t.Fatalf("the forged grant's nonce does not commit to %s's identity", hwid)
	}
	var p client.Installed
	roundTrip(t, product(t, state, sku), &p)
	p.Product = license.ApplyGrant(p.Product, license.Grant{Kind: g.Kind, ActivatedAt: g.IssuedAt.UTC(),
		ExpiresAt: g.ExpiresAt.UTC(), HardwareID: g.HardwareID}, nil, g.IssuedAt)
	p.Envelope, p.Hardware = &env, &id
	var m map[string]any
	roundTrip(t, p, &m)
	state["products"].(map[string]any)[sku] = m
}

// roundTrip converts in to out through JSON.
func roundTrip(t *testing.T, in, out any) {
	t.Helper()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatal(err)
	}
}

// TestForgedHostGrant is issue 11 item 1 with real processes: a KMS host
// operator uses a real, certified host key to sign grants a KMS host may
// not sign (a permanent MAK activation, a KMS activation valid until 2099,
// a grant for a SKU outside the host's group), each logged with a receipt
// the host key signs.
//
//   - On receipt, volact act exits 3 and stores nothing of the answer: no
//     grant, no envelope, no log checkpoint; dstatus --json shows the
//     product not licensed. (act records the refused attempt in the
//     store's history and last result, as for every failed attempt.)
//   - Written into state.json with the checksum fixed, exactly as the host
//     signed it, volact dstatus and xpr exit 7 (0xC004D301) and leave the
//     file byte for byte as it is.
//
// An honest grant from the same host, key and log activates, so only the
// rules of protocol.CheckGrant (and the client's role and group checks on
// receipt) tell the forgeries apart.
func TestForgedHostGrant(t *testing.T) {
	now := time.Now().UTC()
	dir := t.TempDir()
	a := newAuthority(t, filepath.Join(dir, "auth"), now, "-")
	host := startRogueKMSHost(t, a, now, "suite-pro")
	clientKeys := map[string]string{}
	for _, sku := range []string{"suite-pro", "workstation-ent"} {
		k, err := a.Mint(productkey.KMSClient, sku, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		clientKeys[sku] = k.String()
	}
	const hwid = "machine-1"
	env := func(store string) []string {
		return []string{"VOLACT_STORE=" + store, "VOLACT_MACHINE_ID=" + hwid, "NO_COLOR=1", "TZ=UTC",
			"VOLACT_CATALOG=" + filepath.Join(dir, "auth", authority.CatalogFile)}
	}
	must := func(env []string, args ...string) {
		t.Helper()
		if code, out, errOut := volactRun(t, env, args...); code != 0 {
			t.Fatalf("volact %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	prepare := func(store, sku string) {
		t.Helper()
		must(env(store), "inpkey", clientKeys[sku])
		must(env(store), "sethst", host.addr())
	}

	// The control: an honest answer of the same host activates.
	control := filepath.Join(dir, "control")
	prepare(control, "suite-pro")
	host.answer(nil)
	must(env(control), "act")
	if st := productStatus(t, env(control), "suite-pro"); st.Status != license.Licensed || st.ActivationExpiresAt == nil ||
		st.ActivationExpiresAt.Sub(now) < 179*24*time.Hour || st.ActivationExpiresAt.Sub(now) > 181*24*time.Hour {
		t.Fatalf("the honest grant of the rogue host did not license suite-pro for 180 days: %+v", st)
	}

	cases := []struct {
		name   string
		sku    string
		forge  func(*protocol.Grant)
		actWhy string // the rule that refuses it on receipt (a regexp: act's own check or CheckGrant's)
		why    string // the rule that refuses it in the store
	}{
		{"a permanent MAK activation", "suite-pro", func(g *protocol.Grant) {
			g.Kind, g.ExpiresAt = protocol.KindMAK, time.Time{}
			g.ActivationInterval, g.RenewalInterval, g.CurrentCount = 0, 0, 0
		}, "a mak grant for suite-pro, not kms|signs only KMS grants", "a KMS host signs only KMS grants"},
		{"a KMS activation valid until 2099", "suite-pro", func(g *protocol.Grant) {
			g.ExpiresAt = time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)
		}, "the catalog allows at most 180 days", "the catalog allows at most 180 days"},
		{"a SKU outside the host's group", "workstation-ent", nil,
			"certificate does not cover group workstation|which its certificate does not cover", "which its certificate does not cover"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store := filepath.Join(t.TempDir(), "store")
			path := filepath.Join(store, "state.json")
			prepare(store, c.sku)
			host.answer(c.forge)

			// On receipt: refused with exit 3, nothing of it kept.
			code, out, errOut := volactRun(t, env(store), "act")
			if code != 3 || !regexp.MustCompile(c.actWhy).MatchString(errOut) {
				t.Errorf("act: exit %d\n%s%s\nwant exit 3 and %q", code, out, errOut, c.actWhy)
			}
			if strings.Contains(out, "activated successfully") {
				t.Errorf("act printed success:\n%s", out)
			}
			var state struct {
				Products map[string]map[string]any `json:"products"`
				Logs     map[string]any            `json:"logs"`
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var file struct {
				State json.RawMessage `json:"state"`
			}
			if err := json.Unmarshal(data, &file); err != nil || json.Unmarshal(file.State, &state) != nil {
				t.Fatalf("store after act is not readable: %v\n%s", err, data)
			}
			for _, field := range []string{"envelope", "grant", "hardware"} {
				if v, ok := state.Products[c.sku][field]; ok {
					t.Errorf("the store kept the refused answer's %s: %v", field, v)
				}
			}
			if len(state.Logs) != 0 {
				t.Errorf("the store kept a checkpoint of the rogue host's log: %v", state.Logs)
			}
			if st := productStatus(t, env(store), c.sku); st.Status == license.Licensed || st.Permanent || st.ActivationExpiresAt != nil {
				t.Errorf("after the refused answer dstatus --json shows %s %v (permanent %v, expires %v)",
					c.sku, st.Status, st.Permanent, st.ActivationExpiresAt)
			}

			// In the store: the same answer, planted with the checksum fixed.
			forged := host.lastAnswer(t)
			editState(t, path, true, func(s map[string]any) { plantGrant(t, s, c.sku, forged, hwid) })
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"dstatus"}, {"dstatus", "--json"}, {"xpr"}} {
				// --json puts the error on stdout, the text forms on stderr.
				code, out, errOut := volactRun(t, env(store), args...)
				if msg := out + errOut; code != 7 || !strings.Contains(msg, "0xC004D301") ||
					!strings.Contains(msg, "may not sign it") || !strings.Contains(msg, c.why) {
					t.Errorf("volact %s: exit %d\n%s%s\nwant exit 7, 0xC004D301 and %q", strings.Join(args, " "), code, out, errOut, c.why)
				}
				if strings.Contains(out, "LICENSED") || strings.Contains(out, "permanently") || strings.Contains(out, `"status"`) {
					t.Errorf("volact %s on the forged store printed success-looking text:\n%s", strings.Join(args, " "), out)
				}
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("the forged store was rewritten")
			}
		})
	}
}
