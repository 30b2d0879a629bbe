package mak

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/translog"
	"github.com/volact/volact/internal/trueup"
)

// fakeHost is a KMS host's key, certificate and an in-memory log.
type fakeHost struct {
	t    *testing.T
	key  ed25519.PrivateKey
	cert string
	log  *translog.Memory
	last []byte // newest checkpoint
}

// newFakeHost certifies a fresh host key with root (the authority's, or
// another one).
func newFakeHost(t *testing.T, root ed25519.PrivateKey) *fakeHost {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := protocol.IssueCertificate(root, protocol.Certificate{Subject: "host-1", Role: protocol.RoleKMSHost,
		PublicKey: pub, Groups: []string{"server"}, IssuedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	h := &fakeHost{t: t, key: key, cert: cert}
	h.fork()
	return h
}

// fork starts the host's log afresh (a replaced history).
func (h *fakeHost) fork() {
	origin := translog.Origin(translog.OriginKMS, h.key.Public().(ed25519.PublicKey))
	s, err := translog.NewSigner(origin, h.key)
	if err == nil {
		h.log, err = translog.NewMemory(s)
	}
	if err != nil {
		h.t.Fatal(err)
	}
}

// grow appends n leaves named by tag.
func (h *fakeHost) grow(tag string, n int) {
	for i := range n {
		r, err := h.log.Append(fmt.Appendf(nil, `{"leaf":"%s-%d"}`, tag, i))
		if err != nil {
			h.t.Fatal(err)
		}
		h.last = r.Checkpoint
	}
}

// report is the signed report of the newest checkpoint, with the proof
// from size from when from > 0.
func (h *fakeHost) report(from int64) WitnessReport {
	h.t.Helper()
	r, err := SignWitnessReport(h.key, []string{h.cert}, WitnessBody{
		Origin: translog.Origin(translog.OriginKMS, h.key.Public().(ed25519.PublicKey)), Checkpoint: h.last,
		Groups: []trueup.GroupCount{{Group: "server", MaxMachines: int(h.log.Size())}}, ReportedAt: now})
	if err != nil {
		h.t.Fatal(err)
	}
	if from > 0 {
		if r.Proof, err = h.log.ConsistencyProof(from, h.log.Size()); err != nil {
			h.t.Fatal(err)
		}
		r.ProofFrom = from
	}
	return r
}

// witness posts r and returns the answer, or the error with its status.
func (e *testEnv) witness(r WitnessReport) (WitnessAnswer, int, *hresult.Error) {
	e.t.Helper()
	status, body := e.post("/v1/witness/report", "", r)
	if status != http.StatusOK {
		return WitnessAnswer{}, status, errorOf(e.t, body)
	}
	var a WitnessAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		e.t.Fatal(err)
	}
	return a, status, nil
}

// TestWitnessExchange: a first report is kept; a longer tree needs the
// proof from the kept size (two steps) and then extends it; the same tree
// again is consistent; a replaced history of the same size, a shorter
// one, or one whose proof fails is flagged and recorded, never replaces
// the kept checkpoint, and stays flagged.
func TestWitnessExchange(t *testing.T) {
	e := newEnv(t, "")
	h := newFakeHost(t, e.auth.Root)
	h.grow("a", 3)
	if a, _, err := e.witness(h.report(0)); err != nil || !a.Consistent || a.TreeSize != 3 || a.NeedProof {
		t.Fatalf("first report: %+v %v", a, err)
	}
	h.grow("a", 2)
	a, _, err := e.witness(h.report(0))
	if err != nil || !a.NeedProof || a.ProofFrom != 3 || a.TreeSize != 3 {
		t.Fatalf("a longer tree without a proof: %+v %v, want need_proof from 3", a, err)
	}
	if a, _, err = e.witness(h.report(3)); err != nil || !a.Consistent || a.TreeSize != 5 {
		t.Fatalf("with the proof: %+v %v", a, err)
	}
	if a, _, err = e.witness(h.report(0)); err != nil || !a.Consistent || a.TreeSize != 5 {
		t.Fatalf("the same tree again: %+v %v", a, err)
	}
	kept := string(h.last)

	h.fork()
	h.grow("b", 5) // the same size, another root
	if a, _, err = e.witness(h.report(0)); err != nil || a.Consistent || a.TreeSize != 5 {
		t.Fatalf("a replaced history of the same size: %+v %v, want flagged, 5 kept", a, err)
	}
	conflict := string(h.last)
	h.grow("b", 1)
	if a, _, err = e.witness(h.report(5)); err != nil || a.Consistent || a.TreeSize != 5 {
		t.Fatalf("its next report: %+v %v, want still flagged", a, err)
	}
	hosts, herr := (&Admin{Ledger: e.led}).Hosts(t.Context())
	if herr != nil || len(hosts) != 1 {
		t.Fatalf("Hosts: %+v %v", hosts, herr)
	}
	if w := hosts[0]; w.Consistent || w.Checkpoint != kept || w.Conflict != conflict || w.TreeSize != 5 || w.ReportedSize != 6 ||
		w.Host != "host-1" || len(w.Groups) != 1 || len(w.TrueUp) != 1 || w.TrueUp[0].MaxMachines != 5 {
		t.Errorf("the flagged host: %+v", w)
	}

	// Another host whose log shrank, and one whose proof does not verify.
	for _, name := range []string{"shorter", "bad proof"} {
		o := newFakeHost(t, e.auth.Root)
		o.grow("c", 4)
		if _, _, err := e.witness(o.report(0)); err != nil {
			t.Fatal(err)
		}
		o.fork()
		if name == "shorter" {
			o.grow("d", 2)
			a, _, err = e.witness(o.report(0))
		} else {
			o.grow("d", 6)
			a, _, err = e.witness(o.report(4))
		}
		if err != nil || a.Consistent || a.TreeSize != 4 {
			t.Errorf("%s: %+v %v, want flagged with 4 kept", name, a, err)
		}
	}
	if status, _ := e.post("/v1/admin/hosts", "", struct{}{}); status != http.StatusUnauthorized {
		t.Errorf("POST /v1/admin/hosts without the token: HTTP %d, want 401", status)
	}
	var list HostsResponse
	status, body := e.post("/v1/admin/hosts", testToken, struct{}{})
	if err := json.Unmarshal(body, &list); status != http.StatusOK || err != nil || len(list.Hosts) != 3 {
		t.Errorf("POST /v1/admin/hosts: HTTP %d %s", status, body)
	}
}

// TestWitnessRefused: a report that does not authenticate is refused
// with one error and stores nothing.
func TestWitnessRefused(t *testing.T) {
	e := newEnv(t, "")
	h := newFakeHost(t, e.auth.Root)
	h.grow("a", 2)
	_, otherRoot, _ := ed25519.GenerateKey(rand.Reader)
	foreign := newFakeHost(t, otherRoot)
	foreign.grow("a", 2)
	other := newFakeHost(t, e.auth.Root)
	other.grow("a", 2)

	edited := h.report(0)
	edited.Body = []byte(string(edited.Body[:len(edited.Body)-1]) + " }")
	wrongKey := h.report(0)
	wrongKey.Certificates = []string{other.cert}
	otherLog := h.report(0)
	otherLog.Body, _ = json.Marshal(WitnessBody{Origin: "x", Checkpoint: other.last})
	otherLog.Signature = ed25519.Sign(h.key, append([]byte(WitnessDomain), otherLog.Body...))
	noCert := h.report(0)
	noCert.Certificates = nil
	for name, r := range map[string]WitnessReport{
		"edited body": edited, "certificate of another key": wrongKey, "another root": foreign.report(0),
		"checkpoint of another log": otherLog, "no certificate": noCert,
	} {
		if a, status, err := e.witness(r); err == nil || status < 400 {
			t.Errorf("%s: HTTP %d %+v, want refused", name, status, a)
		}
	}
	if hosts, err := e.led.WitnessedHosts(t.Context()); err != nil || len(hosts) != 0 {
		t.Errorf("refused reports stored %+v %v", hosts, err)
	}
}
