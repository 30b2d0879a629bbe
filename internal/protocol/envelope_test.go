package protocol

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
)

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// testKey returns a deterministic Ed25519 key; n picks which one.
func testKey(n byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{n}, ed25519.SeedSize))
}

func pub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// certFor issues a service certificate for key, signed by root, valid
// from issued for one year.
func certFor(t testing.TB, root, key ed25519.PrivateKey, issued time.Time) string {
	t.Helper()
	c, err := IssueCertificate(root, Certificate{Subject: "service", Role: RoleService, PublicKey: pub(key),
		IssuedAt: issued, NotAfter: issued.AddDate(1, 0, 0)})
	if err != nil {
		t.Fatalf("IssueCertificate: %v", err)
	}
	return c
}

func sampleGrant() Grant {
	return Grant{Kind: KindKMS, SKU: "suite-pro", HardwareID: "hw-1", CMID: "cmid-1", IssuedAt: now,
		ExpiresAt: now.AddDate(0, 0, 180), ActivationInterval: 120, RenewalInterval: 10080,
		CurrentCount: 7, Issuer: "kms1.example.com", Nonce: "n1"}
}

func seal(t testing.TB, v any, signer ed25519.PrivateKey, cert string) Envelope {
	t.Helper()
	env, err := Seal(v, signer, cert)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return env
}

func wantCode(t *testing.T, err error, code hresult.Code, fragment string) {
	t.Helper()
	var he *hresult.Error
	if !errors.As(err, &he) || he.Code != code {
		t.Fatalf("err = %v, want code %v", err, code)
	}
	if !strings.Contains(he.Error(), fragment) {
		t.Errorf("message %q does not mention %q", he.Error(), fragment)
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	root, svc := testKey(1), testKey(2)
	env := seal(t, sampleGrant(), svc, certFor(t, root, svc, now))
	data, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseEnvelope(data)
	if err != nil {
		t.Fatalf("ParseEnvelope: %v", err)
	}
	var g Grant
	cert, err := Open(parsed, pub(root), now, &g)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !reflect.DeepEqual(g, sampleGrant()) {
		t.Errorf("grant = %+v, want %+v", g, sampleGrant())
	}
	if cert.Role != RoleService || cert.Subject != "service" || !pub(svc).Equal(ed25519.PublicKey(cert.PublicKey)) {
		t.Errorf("certificate = %+v", cert)
	}
}

func TestOpenRefuses(t *testing.T) {
	root, svc, other := testKey(1), testKey(2), testKey(3)
	cert := certFor(t, root, svc, now)
	good := seal(t, sampleGrant(), svc, cert)

	edited := good
	payload, _ := base64.StdEncoding.DecodeString(good.Payload)
	edited.Payload = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte(`"current_count":7`), []byte(`"current_count":9`), 1))

	extra := seal(t, map[string]any{"kind": "kms", "sku": "suite-pro", "admin": true}, svc, cert)
	hostCert, err := IssueCertificate(root, Certificate{Subject: "kms1", Role: RoleKMSHost, PublicKey: pub(svc), IssuedAt: now})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		env  Envelope
		at   time.Time
		want string
	}{
		{"payload edited", edited, now, "payload signature does not verify"},
		{"signed by a key the certificate does not name", seal(t, sampleGrant(), other, cert), now, "payload signature does not verify"},
		{"certificate from another root", seal(t, sampleGrant(), svc, certFor(t, other, svc, now)), now, "not signed by the trusted root"},
		{"certificate expired", good, now.AddDate(1, 0, 1), "expired at 2026-03-01T12:00:00Z"},
		{"certificate not yet valid", good, now.Add(-MaxClockSkew - time.Minute), "not valid before"},
		{"unknown payload field", extra, now, `unknown field "admin"`},
		{"certificate garbage", Envelope{Payload: good.Payload, Signature: good.Signature, Certificate: "!!"}, now, "not valid base64"},
		{"certificate of json garbage", Envelope{Payload: good.Payload, Signature: good.Signature,
			Certificate: base64.StdEncoding.EncodeToString([]byte(`{"certificate":"","signature":"","x":1}`))}, now, `unknown field "x"`},
		{"signature garbage", Envelope{Payload: good.Payload, Signature: "AAAA", Certificate: cert}, now, "not a base64 Ed25519 signature"},
		{"payload too large", Envelope{Payload: strings.Repeat("A", 4*(MaxPayloadSize/3+4)), Signature: good.Signature, Certificate: cert}, now, "larger than"},
		{"host certificate expiry-free still checks the key", seal(t, sampleGrant(), other, hostCert), now, "payload signature does not verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g Grant
			_, err := Open(tt.env, pub(root), tt.at, &g)
			wantCode(t, err, hresult.BadSignature, tt.want)
			if he := hresult.From(err); he.Exit != hresult.ExitInvalid {
				t.Errorf("exit = %d, want %d", he.Exit, hresult.ExitInvalid)
			}
			if !reflect.DeepEqual(g, Grant{}) {
				t.Errorf("payload was decoded before verification: %+v", g)
			}
		})
	}
}

func TestOpenAcceptsSkewAndNoExpiry(t *testing.T) {
	root, host := testKey(1), testKey(4)
	cert, err := IssueCertificate(root, Certificate{Subject: "kms1", Role: RoleKMSHost, PublicKey: pub(host),
		Groups: []string{"suite"}, IssuedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	env := seal(t, sampleGrant(), host, cert)
	for _, at := range []time.Time{now.Add(-MaxClockSkew + time.Minute), now.AddDate(10, 0, 0)} {
		c, err := Open(env, pub(root), at, nil)
		if err != nil {
			t.Fatalf("Open at %v: %v", at, err)
		}
		if c.Role != RoleKMSHost || !reflect.DeepEqual(c.Groups, []string{"suite"}) || !c.NotAfter.IsZero() {
			t.Errorf("certificate = %+v", c)
		}
	}
}

func TestIssueCertificateRejects(t *testing.T) {
	root := testKey(1)
	tests := []struct {
		name string
		c    Certificate
		want string
	}{
		{"no subject", Certificate{Role: RoleService, PublicKey: pub(root)}, "subject is empty"},
		{"unknown role", Certificate{Subject: "s", Role: "admin", PublicKey: pub(root)}, `unknown role "admin"`},
		{"short key", Certificate{Subject: "s", Role: RoleService, PublicKey: []byte{1}}, "not an Ed25519 public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := IssueCertificate(root, tt.c)
			wantCode(t, err, hresult.InvalidArg, tt.want)
		})
	}
}

func TestParseEnvelopeRefuses(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"unknown field", `{"payload":"a","signature":"b","certificate":"c","note":1}`, `unknown field "note"`},
		{"missing certificate", `{"payload":"a","signature":"b"}`, "incomplete"},
		{"truncated", `{"payload":"a","sig`, "truncated"},
		{"trailing data", `{"payload":"a","signature":"b","certificate":"c"} x`, "after the JSON value"},
		{"not an object", `[1,2]`, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEnvelope([]byte(tt.data))
			wantCode(t, err, hresult.BadRequest, tt.want)
		})
	}
}

// TestPeekCertificate reads a certificate of any root, expired or not,
// without trusting it; VerifyCertificate still refuses the foreign one.
func TestPeekCertificate(t *testing.T) {
	foreign := certFor(t, testKey(9), testKey(2), now.AddDate(-3, 0, 0))
	c, err := PeekCertificate(foreign)
	if err != nil {
		t.Fatalf("PeekCertificate: %v", err)
	}
	if c.Subject != "service" || c.Role != RoleService || !bytes.Equal(c.PublicKey, pub(testKey(2))) {
		t.Errorf("peeked %+v", c)
	}
	if _, err := VerifyCertificate(foreign, pub(testKey(1)), now); err == nil {
		t.Error("VerifyCertificate accepted a certificate of another root")
	}
	for _, bad := range []string{"", "not base64!", "e30=", strings.Repeat("A", MaxCertificateSize+4)} {
		if _, err := PeekCertificate(bad); err == nil {
			t.Errorf("PeekCertificate(%.20q) accepted", bad)
		}
	}
}
