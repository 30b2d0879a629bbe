package translog

import (
	"crypto/ed25519"
	"fmt"
	"testing"
)

func TestMemoryReceiptsAndConsistency(t *testing.T) {
	k := newTestKey(t, 1)
	m, err := NewMemory(k.signer)
	if err != nil {
		t.Fatal(err)
	}
	var first Receipt
	for i := range 7 {
		leaf := fmt.Appendf(nil, "leaf %d", i)
		r, err := m.Append(leaf)
		if err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			first = r
		}
		if _, err := VerifyReceipt(leaf, r, k.verif); err != nil {
			t.Fatalf("leaf %d: %v", i, err)
		}
	}
	proof, err := m.ConsistencyProof(3, 7)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := m.Append([]byte("last"))
	newer, _ := OpenCheckpoint(r.Checkpoint, k.verif)
	older, _ := OpenCheckpoint(first.Checkpoint, k.verif)
	if err := CheckConsistency(older, newer, proof); err == nil {
		t.Fatal("a proof to size 7 checked against size 8")
	}
	if proof, err = m.ConsistencyProof(3, 8); err != nil {
		t.Fatal(err)
	}
	if err := CheckConsistency(older, newer, proof); err != nil {
		t.Fatal(err)
	}
}

// TestNewSignerAnyKey signs with many keys: a public key whose base64
// holds a '+' once cut the signer key string in the wrong place.
func TestNewSignerAnyKey(t *testing.T) {
	for i := range 256 {
		if _, err := makeTestKey(byte(i)); err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
	}
}

// TestKeyOptions: the options name the log after the key's public half,
// and a key of the wrong length is refused.
func TestKeyOptions(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	o, err := KeyOptions(OriginMAK, priv)
	if err != nil {
		t.Fatal(err)
	}
	if want := Origin(OriginMAK, priv.Public().(ed25519.PublicKey)); o.Signer.Name() != want || o.Verifier.Name() != want {
		t.Errorf("signer %q, verifier %q, want both %q", o.Signer.Name(), o.Verifier.Name(), want)
	}
	if _, err := KeyOptions(OriginMAK, priv[:40]); err == nil {
		t.Error("a 40-byte key was accepted")
	}
}
