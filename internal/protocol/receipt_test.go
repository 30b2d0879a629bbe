package protocol

import (
	"crypto/ed25519"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/translog"
	"github.com/volact/volact/internal/translog/tlogverify"
)

// memLog returns an in-memory log signed by key under the origin a
// certificate of role role names.
func memLog(t testing.TB, key ed25519.PrivateKey, role string) *translog.Memory {
	t.Helper()
	s, err := translog.NewSigner(LogOrigin(&Certificate{Role: role, PublicKey: pub(key)}), key)
	if err != nil {
		t.Fatal(err)
	}
	m, err := translog.NewMemory(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// logged appends v to m and returns its envelope.
func logged(t testing.TB, m *translog.Memory, v any, cert string) Envelope {
	t.Helper()
	payload, err := EncodePayload(v)
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Append(payload)
	if err != nil {
		t.Fatal(err)
	}
	return Logged(payload, r, cert)
}

func TestOpenReceipt(t *testing.T) {
	root, svc, other := testKey(1), testKey(2), testKey(3)
	cert := certFor(t, root, svc, now)
	m := memLog(t, svc, RoleService)
	logged(t, m, "first leaf", cert)
	env := logged(t, m, sampleGrant(), cert)
	var g Grant
	c, err := Open(env, pub(root), now, &g)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !reflect.DeepEqual(g, sampleGrant()) {
		t.Fatalf("grant %+v", g)
	}
	tree, err := Tree(env, c)
	if err != nil || tree.Size != 2 || tree.Origin != LogOrigin(c) {
		t.Fatalf("Tree = %+v, %v", tree, err)
	}
	data, _ := json.Marshal(env)
	parsed, err := ParseEnvelope(data)
	if err != nil {
		t.Fatalf("ParseEnvelope: %v", err)
	}
	if _, err := Open(parsed, pub(root), now, nil); err != nil {
		t.Fatalf("Open after a JSON round trip: %v", err)
	}

	foreign := logged(t, memLog(t, other, RoleService), sampleGrant(), cert)
	kmsOrigin := logged(t, memLog(t, svc, RoleKMSHost), sampleGrant(), cert)
	edited := env
	edited.Payload = seal(t, Grant{Kind: KindMAK}, svc, cert).Payload
	moved := env
	r := *env.Receipt
	r.Index = 0
	moved.Receipt = &r
	both := env
	both.Signature = seal(t, sampleGrant(), svc, cert).Signature
	for name, e := range map[string]Envelope{
		"checkpoint signed by another key": foreign, "checkpoint of another origin": kmsOrigin,
		"edited payload": edited, "other index": moved, "receipt and signature": both,
	} {
		if _, err := Open(e, pub(root), now, nil); hresult.CodeOf(err) != hresult.BadSignature {
			t.Errorf("%s: Open = %v, want BadSignature", name, err)
		}
	}
}

func TestCheckExtends(t *testing.T) {
	svc := testKey(2)
	cert := &Certificate{Role: RoleKMSHost, PublicKey: pub(svc)}
	m, fork := memLog(t, svc, RoleKMSHost), memLog(t, svc, RoleKMSHost)
	var trees []tlogverify.Checkpoint
	for i := range 5 {
		payload, _ := EncodePayload(i)
		r, _ := m.Append(payload)
		c, err := openReceipt(payload, r, cert)
		if err != nil {
			t.Fatal(err)
		}
		trees = append(trees, c)
		fork.Append([]byte("other"))
	}
	payload, _ := EncodePayload("x")
	r, _ := fork.Append(payload)
	forked, _ := openReceipt(payload, r, cert)
	proof := func(from, to int64) *Consistency {
		p, err := m.ConsistencyProof(from, to)
		if err != nil {
			t.Fatal(err)
		}
		return &Consistency{From: from, Proof: p}
	}
	if err := CheckExtends(trees[1], trees[4], proof(2, 5)); err != nil {
		t.Fatalf("extension refused: %v", err)
	}
	if err := CheckExtends(trees[4], trees[4], nil); err != nil {
		t.Fatalf("same tree refused: %v", err)
	}
	for name, tc := range map[string]struct {
		older, newer tlogverify.Checkpoint
		p            *Consistency
	}{
		"smaller tree":         {trees[4], trees[2], nil},
		"no proof":             {trees[1], trees[4], nil},
		"proof from elsewhere": {trees[1], trees[4], proof(1, 5)},
		"forked tree":          {trees[1], forked, proof(2, 5)},
	} {
		if err := CheckExtends(tc.older, tc.newer, tc.p); hresult.CodeOf(err) != hresult.LogForked {
			t.Errorf("%s: %v, want LogForked", name, err)
		}
	}
}
