package protocol

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/translog/tlogverify"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Limits on a receipt and a consistency proof, enforced before any
// hashing: a signed checkpoint is about 200 bytes, and a proof of a tree
// of 2^63 leaves has at most 2*63 hashes.
const (
	MaxCheckpointSize = 1 << 10
	MaxProofHashes    = 2 * 63
	// MaxKnownTrees bounds ActivationRequest.KnownTrees.
	MaxKnownTrees = 16
)

// Consistency is the proof, sent with a live answer, that the tree of the
// answer's receipt extends the tree of size From that the client said it
// knows (ActivationRequest.KnownTrees). It is not stored: the client keeps
// the newer checkpoint instead.
type Consistency struct {
	From  int64          `json:"from"`
	Proof tlog.TreeProof `json:"proof"`
}

// LogOrigin returns the origin of the transparency log whose checkpoints
// cert's key signs: tlogverify.OriginKMS or OriginMAK (by role) followed by
// the key's fingerprint.
func LogOrigin(cert *Certificate) string {
	prefix := tlogverify.OriginMAK
	if cert.Role == RoleKMSHost {
		prefix = tlogverify.OriginKMS
	}
	return tlogverify.Origin(prefix, ed25519.PublicKey(cert.PublicKey))
}

// LogVerifier returns the note verifier of the checkpoints cert's key
// signs, under [LogOrigin].
func LogVerifier(cert *Certificate) (note.Verifier, error) {
	return tlogverify.NewVerifier(LogOrigin(cert), ed25519.PublicKey(cert.PublicKey))
}

// EncodePayload encodes v as the payload of an answer: the JSON bytes that
// are the leaf of the signer's log.
func EncodePayload(v any) ([]byte, error) {
	if g, ok := v.(Grant); ok {
		if payload, ok := appendGrant(make([]byte, 0, 512), &g); ok {
			return payload, nil
		}
	}
	payload, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode payload: %w", err)
	}
	if len(payload) > MaxPayloadSize {
		return nil, hresult.Newf(hresult.InvalidArg, "cannot answer: payload is %d bytes (limit %d)", len(payload), MaxPayloadSize)
	}
	return payload, nil
}

// Logged returns the envelope of payload (from [EncodePayload]), appended
// to the log as the leaf r proves, for the holder of cert.
func Logged(payload []byte, r tlogverify.Receipt, cert string) Envelope {
	return Envelope{Payload: base64.StdEncoding.EncodeToString(payload), Receipt: &r, Certificate: cert}
}

// Tree checks env's receipt against cert (which [Open] returned for env)
// and returns the checkpoint it carries, for the client to keep. An
// envelope without a receipt has none: the zero Checkpoint and no error.
func Tree(env Envelope, cert *Certificate) (tlogverify.Checkpoint, error) {
	if env.Receipt == nil {
		return tlogverify.Checkpoint{}, nil
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return tlogverify.Checkpoint{}, badSig("signed payload is not valid base64")
	}
	return openReceipt(payload, *env.Receipt, cert)
}

// openReceipt verifies that payload is the leaf r proves, under a
// checkpoint signed by cert's key.
func openReceipt(payload []byte, r tlogverify.Receipt, cert *Certificate) (tlogverify.Checkpoint, error) {
	if len(r.Checkpoint) > MaxCheckpointSize || len(r.Proof) > MaxProofHashes {
		return tlogverify.Checkpoint{}, badSig("the answer's receipt is too large")
	}
	v, err := LogVerifier(cert)
	if err != nil {
		return tlogverify.Checkpoint{}, badSig("the certificate's key cannot sign a log: %v", err)
	}
	c, err := tlogverify.VerifyReceipt(payload, r, v)
	if err != nil {
		return tlogverify.Checkpoint{}, badSig("the answer's receipt does not verify: %v", err)
	}
	return c, nil
}

// CheckExtends checks that newer, the checkpoint of a live answer, extends
// older, a checkpoint of the same log the client kept: by proof (the
// answer's [Consistency], from older's size) when newer is larger. A tree
// that is not an extension is hresult.LogForked; so is a smaller tree,
// which a log that lost or rewrote its history would show.
func CheckExtends(older, newer tlogverify.Checkpoint, proof *Consistency) error {
	if older.Origin != newer.Origin {
		return fmt.Errorf("checkpoints of different logs %q and %q", older.Origin, newer.Origin)
	}
	if newer.Size < older.Size {
		return forked("the log %s shows a tree of %d leaves, but this machine saw %d before: it lost or rewrote its history",
			newer.Origin, newer.Size, older.Size)
	}
	var p tlog.TreeProof
	if older.Size < newer.Size && older.Size > 0 {
		if proof == nil || proof.From != older.Size {
			return forked("the log %s sent no proof that its tree of %d leaves extends the tree of %d this machine saw",
				newer.Origin, newer.Size, older.Size)
		}
		if len(proof.Proof) > MaxProofHashes {
			return forked("the log %s sent a consistency proof that is too large", newer.Origin)
		}
		p = proof.Proof
	}
	if err := tlogverify.CheckConsistency(older, newer, p); err != nil {
		if errors.Is(err, tlogverify.ErrFork) {
			return forked("the log %s is not an extension of the tree of %d leaves this machine saw: %v", newer.Origin, older.Size, err)
		}
		return forked("the log %s: %v", newer.Origin, err)
	}
	return nil
}

func forked(format string, args ...any) *hresult.Error {
	return hresult.Newf(hresult.LogForked, format, args...).
		WithHint("the server's history was rewritten or replaced: nothing was stored; report it to the vendor with volact receipts --json")
}
