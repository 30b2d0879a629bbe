package tlogverify

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Origin prefixes of volact's logs: a KMS host's log and the activation
// service's log.
const (
	OriginKMS = "volact-kms/"
	OriginMAK = "volact-mak/"
)

// maxOrigin bounds an origin's length so a signed checkpoint always fits
// in a slot of the log file.
const maxOrigin = 256

// A Checkpoint is a parsed checkpoint: the log's origin, the size of its
// tree and the tree's root hash.
type Checkpoint struct {
	Origin string
	Size   int64
	Hash   tlog.Hash
}

// KeyFingerprint returns "sha256:" and the 64 lower-case hex digits of the
// SHA-256 of pub, the form the catalog uses for roots.
func KeyFingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Origin returns the conventional origin of a log: prefix (OriginKMS or
// OriginMAK) followed by the fingerprint of the signer's public key.
func Origin(prefix string, pub ed25519.PublicKey) string {
	return prefix + KeyFingerprint(pub)
}

// CheckOrigin reports whether origin can name a log: a valid note key
// name (no spaces, no '+') of at most maxOrigin bytes.
func CheckOrigin(origin string) error {
	if origin == "" || len(origin) > maxOrigin || !utf8.ValidString(origin) || strings.ContainsRune(origin, '+') ||
		strings.IndexFunc(origin, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return fmt.Errorf("translog: invalid origin %q: want 1 to %d printable bytes without spaces or '+'", origin, maxOrigin)
	}
	return nil
}

// VerifierKey returns the note verifier key string for pub under the name
// origin ("<origin>+<key hash>+<base64 key>"), the form to publish for
// clients and auditors.
func VerifierKey(origin string, pub ed25519.PublicKey) (string, error) {
	if err := CheckOrigin(origin); err != nil {
		return "", err
	}
	if len(pub) != ed25519.PublicKeySize {
		return "", errors.New("translog: bad Ed25519 public key length")
	}
	return note.NewEd25519VerifierKey(origin, pub)
}

// NewVerifier returns the note verifier of checkpoints that the holder of
// pub signs for the log named origin.
func NewVerifier(origin string, pub ed25519.PublicKey) (note.Verifier, error) {
	vkey, err := VerifierKey(origin, pub)
	if err != nil {
		return nil, err
	}
	return note.NewVerifier(vkey)
}

// FormatCheckpoint returns the checkpoint body (the text that is signed).
func FormatCheckpoint(c Checkpoint) []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Hash[:]))
}

// ParseCheckpoint parses a checkpoint body, the text of a note without
// its signatures: the origin line, the decimal tree size and the base64
// root hash, each ending in a newline. Extension lines after these are
// refused, since volact's logs write none. It checks no signature; see
// [OpenCheckpoint].
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	lines := bytes.SplitAfter(text, []byte("\n"))
	if len(lines) != 4 || len(lines[3]) != 0 {
		return Checkpoint{}, errors.New("translog: malformed checkpoint: want origin, size and hash lines")
	}
	origin := string(bytes.TrimSuffix(lines[0], []byte("\n")))
	if err := CheckOrigin(origin); err != nil {
		return Checkpoint{}, fmt.Errorf("translog: malformed checkpoint: %w", err)
	}
	sizeText := string(bytes.TrimSuffix(lines[1], []byte("\n")))
	size, err := strconv.ParseInt(sizeText, 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != sizeText {
		return Checkpoint{}, fmt.Errorf("translog: malformed checkpoint: bad tree size %q", sizeText)
	}
	hashText := string(bytes.TrimSuffix(lines[2], []byte("\n")))
	hash, err := tlog.ParseHash(hashText)
	if err != nil || base64.StdEncoding.EncodeToString(hash[:]) != hashText {
		return Checkpoint{}, fmt.Errorf("translog: malformed checkpoint: bad root hash %q", hashText)
	}
	return Checkpoint{Origin: origin, Size: size, Hash: hash}, nil
}

// OpenCheckpoint checks the signature of a signed checkpoint note with v,
// parses it, and checks that its origin is v's name.
func OpenCheckpoint(signed []byte, v note.Verifier) (Checkpoint, error) {
	if v == nil {
		return Checkpoint{}, errors.New("translog: no verifier")
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		var unknown *note.UnverifiedNoteError
		if errors.As(err, &unknown) {
			return Checkpoint{}, fmt.Errorf("translog: checkpoint not signed by %s: %w", v.Name(), err)
		}
		return Checkpoint{}, fmt.Errorf("translog: checkpoint: %w", err)
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("translog: checkpoint of log %q, want %q", c.Origin, v.Name())
	}
	return c, nil
}

// PeekCheckpoint parses the body of the signed checkpoint note signed
// without checking any signature: for a server reading back a checkpoint
// it signed itself. Everyone else uses [OpenCheckpoint].
func PeekCheckpoint(signed []byte) (Checkpoint, error) {
	body, _, ok := bytes.Cut(signed, []byte("\n\n"))
	if !ok {
		return Checkpoint{}, errors.New("translog: malformed checkpoint note: no signature block")
	}
	return ParseCheckpoint(append(body[:len(body):len(body)], '\n'))
}
