// Package protocol defines volact's wire messages, the envelopes that
// carry every activation answer, and the certificates that tie a signing
// key to the activation service's root (design §4).
//
// An answer is a leaf of its signer's transparency log (package translog):
// its envelope carries a receipt (leaf index, signed checkpoint, inclusion
// proof) instead of a signature of its own. An answer is trusted only
// after [Open] has verified the certificate against the pinned root, the
// checkpoint's signature against the certificate's key and the inclusion
// of the exact payload bytes; only then is the payload decoded. Envelopes
// signed one by one (the format before the log) still open, so that
// stores and saved confirmations stay readable. The package is pure: no
// network, no disk, no clock (callers pass now).
package protocol

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/jsonstrict"
	"github.com/volact/volact/internal/translog/tlogverify"
)

// Certificate roles.
const (
	RoleService = "service"  // the activation service's signing key
	RoleKMSHost = "kms-host" // a KMS host's key, for the groups listed
)

// Size limits enforced while parsing untrusted input.
const (
	MaxPayloadSize     = 64 << 10  // decoded payload of an envelope
	MaxCertificateSize = 16 << 10  // encoded Envelope.Certificate string
	MaxEnvelopeSize    = 256 << 10 // an envelope document as read by ParseEnvelope
)

// MaxClockSkew is how far a certificate's IssuedAt may lie in the verifier's
// future: clients and hosts may disagree by up to 4 hours (design §4).
const MaxClockSkew = 4 * time.Hour

// Envelope is an answer. Payload is base64(JSON), the leaf of the
// signer's log; Receipt proves that leaf is in the log, under a checkpoint
// signed with the certificate's key (see [Logged]); Certificate is the
// string [IssueCertificate] returns for that key. Consistency travels only
// on the wire, with a live answer (see [Consistency]); stores drop it.
//
// Signature is the older form, base64(Ed25519 over the decoded payload),
// set by [Seal] and accepted by Open for envelopes already stored; an
// envelope carries a receipt or a signature, never both.
type Envelope struct {
	Payload     string              `json:"payload"`
	Signature   string              `json:"signature,omitempty"`
	Receipt     *tlogverify.Receipt `json:"receipt,omitempty"`
	Consistency *Consistency        `json:"consistency,omitempty"`
	Certificate string              `json:"certificate"`
}

// Certificate binds a public key to a role (and, for KMS hosts, the groups
// it may serve). A zero NotAfter means no expiry.
type Certificate struct {
	Subject   string    `json:"subject"`
	Role      string    `json:"role"`
	PublicKey []byte    `json:"public_key"`
	Groups    []string  `json:"groups,omitempty"`
	IssuedAt  time.Time `json:"issued_at"`
	NotAfter  time.Time `json:"not_after,omitzero"`
}

// SignedCertificate is the decoded form of an Envelope.Certificate string:
// base64 of the certificate JSON and base64 of the root's signature over it.
type SignedCertificate struct {
	Certificate string `json:"certificate"`
	Signature   string `json:"signature"`
}

// IssueCertificate signs c with the root key and returns the string that
// goes into Envelope.Certificate. Times are stored in UTC to the second.
func IssueCertificate(root ed25519.PrivateKey, c Certificate) (string, error) {
	switch {
	case len(root) != ed25519.PrivateKeySize:
		return "", hresult.New(hresult.InvalidArg, "cannot issue certificate: the root key is not an Ed25519 private key")
	case c.Subject == "":
		return "", hresult.New(hresult.InvalidArg, "cannot issue certificate: subject is empty")
	case c.Role != RoleService && c.Role != RoleKMSHost:
		return "", hresult.Newf(hresult.InvalidArg, "cannot issue certificate: unknown role %q", c.Role)
	case len(c.PublicKey) != ed25519.PublicKeySize:
		return "", hresult.New(hresult.InvalidArg, "cannot issue certificate: the subject key is not an Ed25519 public key")
	}
	c.IssuedAt = c.IssuedAt.UTC().Truncate(time.Second)
	if !c.NotAfter.IsZero() {
		c.NotAfter = c.NotAfter.UTC().Truncate(time.Second)
	}
	body, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode certificate: %w", err)
	}
	signed, err := json.Marshal(SignedCertificate{
		Certificate: base64.StdEncoding.EncodeToString(body),
		Signature:   base64.StdEncoding.EncodeToString(ed25519.Sign(root, body)),
	})
	if err != nil {
		return "", fmt.Errorf("encode certificate: %w", err)
	}
	return base64.StdEncoding.EncodeToString(signed), nil
}

// VerifyCertificate checks that cert was issued by root and is valid at
// now, and returns its content. Failures are hresult.BadSignature.
func VerifyCertificate(cert string, root ed25519.PublicKey, now time.Time) (*Certificate, error) {
	body, sig, err := splitCertificate(cert)
	if err != nil {
		return nil, err
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, badSig("certificate signature is not a base64 Ed25519 signature")
	}
	if len(root) != ed25519.PublicKeySize || !ed25519.Verify(root, body, sig) {
		return nil, badSig("certificate is not signed by the trusted root: it was edited or comes from another activation service")
	}
	var c Certificate
	if err := jsonstrict.Decode(body, &c); err != nil {
		return nil, badSig("certificate is malformed: %s", jsonstrict.Reason(err))
	}
	switch {
	case c.Role != RoleService && c.Role != RoleKMSHost:
		return nil, badSig("certificate for %q has unknown role %q", c.Subject, c.Role)
	case len(c.PublicKey) != ed25519.PublicKeySize:
		return nil, badSig("certificate for %q does not carry an Ed25519 key", c.Subject)
	case now.Add(MaxClockSkew).Before(c.IssuedAt):
		return nil, badSig("certificate for %q is not valid before %s: check the clock", c.Subject, c.IssuedAt.UTC().Format(time.RFC3339))
	case !c.NotAfter.IsZero() && now.After(c.NotAfter):
		return nil, badSig("certificate for %q expired at %s", c.Subject, c.NotAfter.UTC().Format(time.RFC3339))
	}
	return &c, nil
}

// Seal encodes v as JSON and signs it with signer, whose certificate is
// cert: the envelope form before the transparency log, which servers no
// longer send. The benchmark's signing floor and tests use it.
func Seal(v any, signer ed25519.PrivateKey, cert string) (Envelope, error) {
	if len(signer) != ed25519.PrivateKeySize {
		return Envelope{}, hresult.New(hresult.InvalidArg, "cannot seal: the signing key is not an Ed25519 private key")
	}
	payload, err := json.Marshal(v)
	if err != nil {
		return Envelope{}, fmt.Errorf("encode payload: %w", err)
	}
	if len(payload) > MaxPayloadSize {
		return Envelope{}, hresult.Newf(hresult.InvalidArg, "cannot seal: payload is %d bytes (limit %d)", len(payload), MaxPayloadSize)
	}
	return Envelope{
		Payload:     base64.StdEncoding.EncodeToString(payload),
		Signature:   base64.StdEncoding.EncodeToString(ed25519.Sign(signer, payload)),
		Certificate: cert,
	}, nil
}

// PeekCertificate decodes cert without checking who signed it or when it is
// valid, for reports on certificates that cannot be chained to a root (a
// true-up read without the authority's root). Nothing in it can be trusted.
// Failures are hresult.BadSignature.
func PeekCertificate(cert string) (*Certificate, error) {
	body, _, err := splitCertificate(cert)
	if err != nil {
		return nil, err
	}
	var c Certificate
	if err := jsonstrict.Decode(body, &c); err != nil {
		return nil, badSig("certificate is malformed: %s", jsonstrict.Reason(err))
	}
	return &c, nil
}

// splitCertificate decodes cert into the certificate's body and the
// signature over it, checking neither.
func splitCertificate(cert string) (body, sig []byte, err error) {
	if len(cert) > MaxCertificateSize {
		return nil, nil, badSig("certificate is too large")
	}
	outer, err := base64.StdEncoding.DecodeString(cert)
	if err != nil {
		return nil, nil, badSig("certificate is not valid base64")
	}
	var sc SignedCertificate
	if err := jsonstrict.Decode(outer, &sc); err != nil {
		return nil, nil, badSig("certificate is malformed: %s", jsonstrict.Reason(err))
	}
	if body, err = base64.StdEncoding.DecodeString(sc.Certificate); err != nil {
		return nil, nil, badSig("certificate body is not valid base64")
	}
	if sig, err = base64.StdEncoding.DecodeString(sc.Signature); err != nil {
		return nil, nil, badSig("certificate signature is not a base64 Ed25519 signature")
	}
	return body, sig, nil
}

// Open verifies env's certificate against root at now, then its receipt
// (the checkpoint signed by the certificate's key under the origin of
// [LogOrigin], and the inclusion of the payload bytes as the leaf) or, for
// an envelope from before the log, its payload signature, and only then
// decodes the payload into v (unknown fields refused; v may be nil to
// verify only). It returns the certificate so the caller can check role,
// subject and groups. Every failure is hresult.BadSignature.
func Open(env Envelope, root ed25519.PublicKey, now time.Time, v any) (*Certificate, error) {
	cert, err := VerifyCertificate(env.Certificate, root, now)
	if err != nil {
		return nil, err
	}
	if base64.StdEncoding.DecodedLen(len(env.Payload)) > MaxPayloadSize+3 {
		return nil, badSig("signed payload is larger than %d bytes", MaxPayloadSize)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, badSig("signed payload is not valid base64")
	}
	if len(payload) > MaxPayloadSize {
		return nil, badSig("signed payload is larger than %d bytes", MaxPayloadSize)
	}
	switch {
	case env.Receipt != nil && env.Signature != "":
		return nil, badSig("the answer carries both a receipt and a signature")
	case env.Receipt != nil:
		if _, err := openReceipt(payload, *env.Receipt, cert); err != nil {
			return nil, err
		}
	default:
		sig, err := base64.StdEncoding.DecodeString(env.Signature)
		if err != nil || len(sig) != ed25519.SignatureSize {
			return nil, badSig("payload signature is not a base64 Ed25519 signature")
		}
		if !ed25519.Verify(ed25519.PublicKey(cert.PublicKey), payload, sig) {
			return nil, badSig("payload signature does not verify: the message was edited or signed by a key its certificate does not name")
		}
	}
	if v != nil {
		if err := jsonstrict.DecodeInto(payload, v); err != nil {
			return nil, badSig("signed payload is malformed: %s", jsonstrict.Reason(err))
		}
	}
	return cert, nil
}

// ParseEnvelope decodes an envelope document strictly. Failures are
// hresult.BadRequest.
func ParseEnvelope(data []byte) (Envelope, error) {
	if len(data) > MaxEnvelopeSize {
		return Envelope{}, hresult.Newf(hresult.BadRequest, "signed envelope is too large (%d bytes, limit %d)", len(data), MaxEnvelopeSize)
	}
	var env Envelope
	if err := jsonstrict.Decode(data, &env); err != nil {
		return Envelope{}, hresult.Newf(hresult.BadRequest, "signed envelope is malformed: %s", jsonstrict.Reason(err))
	}
	if env.Payload == "" || (env.Signature == "" && env.Receipt == nil) || env.Certificate == "" {
		return Envelope{}, hresult.New(hresult.BadRequest, "signed envelope is incomplete: it needs payload, receipt and certificate")
	}
	return env, nil
}

func badSig(format string, args ...any) *hresult.Error {
	return hresult.Newf(hresult.BadSignature, format, args...)
}
