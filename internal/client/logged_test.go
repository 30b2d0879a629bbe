package client_test

import (
	"crypto/ed25519"
	"sync"
	"testing"

	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/translog"
)

// memLogs are the in-memory transparency logs of the test servers, by
// origin, so that their answers carry receipts like the real ones.
var memLogs = struct {
	sync.Mutex
	m map[string]*translog.Memory
}{m: map[string]*translog.Memory{}}

// logged appends v to the log of key (under the origin cert's role
// names; the certificate is read without being verified, as forgers
// need) and returns its envelope.
func logged(t testing.TB, v any, key ed25519.PrivateKey, cert string) protocol.Envelope {
	t.Helper()
	c, err := protocol.PeekCertificate(cert)
	if err != nil {
		t.Fatalf("reading the test certificate: %v", err)
	}
	c.PublicKey = key.Public().(ed25519.PublicKey)
	origin := protocol.LogOrigin(c)
	memLogs.Lock()
	m := memLogs.m[origin]
	if m == nil {
		s, err := translog.NewSigner(origin, key)
		if err == nil {
			m, err = translog.NewMemory(s)
		}
		if err != nil {
			memLogs.Unlock()
			t.Fatal(err)
		}
		memLogs.m[origin] = m
	}
	memLogs.Unlock()
	payload, err := protocol.EncodePayload(v)
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Append(payload)
	if err != nil {
		t.Fatal(err)
	}
	return protocol.Logged(payload, r, cert)
}
