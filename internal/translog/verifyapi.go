package translog

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"

	"github.com/volact/volact/internal/translog/tlogverify"
	"golang.org/x/mod/sumdb/note"
)

// The verification half of the log lives in package tlogverify, which the
// client links without the writer; these names are the same types and
// functions.

// Origin prefixes of volact's logs: a KMS host's log and the activation
// service's log.
const (
	OriginKMS = tlogverify.OriginKMS
	OriginMAK = tlogverify.OriginMAK
)

// A Checkpoint is a parsed checkpoint; see [tlogverify.Checkpoint].
type Checkpoint = tlogverify.Checkpoint

// A Receipt proves one leaf is in the log; see [tlogverify.Receipt].
type Receipt = tlogverify.Receipt

// ErrFork means two signed views of a log disagree; see [tlogverify.ErrFork].
var ErrFork = tlogverify.ErrFork

// Verification functions; see package tlogverify.
var (
	KeyFingerprint    = tlogverify.KeyFingerprint
	Origin            = tlogverify.Origin
	VerifierKey       = tlogverify.VerifierKey
	NewVerifier       = tlogverify.NewVerifier
	ParseCheckpoint   = tlogverify.ParseCheckpoint
	OpenCheckpoint    = tlogverify.OpenCheckpoint
	VerifyReceipt     = tlogverify.VerifyReceipt
	VerifyConsistency = tlogverify.VerifyConsistency
	CheckConsistency  = tlogverify.CheckConsistency
	PeekCheckpoint    = tlogverify.PeekCheckpoint
)

// checkOrigin reports whether origin can name a log.
func checkOrigin(origin string) error { return tlogverify.CheckOrigin(origin) }

// NewSigner returns the note signer of checkpoints for the log named
// origin, signing with key.
func NewSigner(origin string, key ed25519.PrivateKey) (note.Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("translog: bad Ed25519 private key length")
	}
	vkey, err := VerifierKey(origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	// vkey is "<name>+<hash>+<base64(alg, pub)>"; the signer key string is
	// "PRIVATE+KEY+<name>+<hash>+<base64(alg, seed)>". The name holds no
	// '+', the hash is 8 hex digits, the base64 may hold '+'.
	nameHash := vkey[:len(origin)+1+8]
	const algEd25519 = 1
	skey := "PRIVATE+KEY+" + nameHash + "+" +
		base64.StdEncoding.EncodeToString(append([]byte{algEd25519}, key.Seed()...))
	return note.NewSigner(skey)
}

// signCheckpoint returns the signed note of c.
func signCheckpoint(c Checkpoint, s note.Signer) ([]byte, error) {
	return note.Sign(&note.Note{Text: string(formatCheckpoint(c))}, s)
}

// formatCheckpoint returns the checkpoint body (the text that is signed).
func formatCheckpoint(c Checkpoint) []byte { return tlogverify.FormatCheckpoint(c) }

// KeyOptions returns the Options of the log named Origin(kind, the public
// half of key), whose checkpoints key signs and verifies: how a KMS host
// (kind OriginKMS) and the activation service (OriginMAK) open theirs.
func KeyOptions(kind string, key ed25519.PrivateKey) (Options, error) {
	if len(key) != ed25519.PrivateKeySize {
		return Options{}, errors.New("translog: bad Ed25519 private key length")
	}
	pub := key.Public().(ed25519.PublicKey)
	origin := Origin(kind, pub)
	signer, err := NewSigner(origin, key)
	if err != nil {
		return Options{}, err
	}
	verifier, err := NewVerifier(origin, pub)
	if err != nil {
		return Options{}, err
	}
	return Options{Signer: signer, Verifier: verifier}, nil
}
