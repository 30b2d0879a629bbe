package machineid

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
)

// noncePrefix marks a nonce made by [Identity.Nonce].
const noncePrefix = "i1."

// saltSize is the random part of a nonce, in bytes.
const saltSize = 12

// Nonce returns a fresh activation-request nonce that commits to id:
// "i1.<salt>.<commitment>", where the commitment is a hash of a random
// salt, the hardware id and every source digest. The server echoes the
// nonce in the grant it signs, so the identity the client records with
// the grant is bound to the signature: [Identity.Committed] detects a
// record edited in the store (to make a clone match, say). A MAK request
// also carries the source digests (never the raw values): the activation
// service checks them against this commitment and records them, so that
// a clone sharing the hardware id is counted as another machine.
func (id Identity) Nonce() (string, error) {
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	return noncePrefix + enc.EncodeToString(salt) + "." + enc.EncodeToString(id.commitment(salt)), nil
}

// Committed reports whether nonce was made by [Identity.Nonce] for an
// identity with exactly id's hardware id and source digests.
func (id Identity) Committed(nonce string) bool {
	salt, sum, ok := splitNonce(nonce)
	return ok && subtle.ConstantTimeCompare(sum, id.commitment(salt)) == 1
}

// IsCommitment reports whether nonce has the form [Identity.Nonce] makes,
// whoever it commits to. Other nonces come from clients that did not
// record sources.
func IsCommitment(nonce string) bool {
	_, _, ok := splitNonce(nonce)
	return ok
}

func splitNonce(nonce string) (salt, sum []byte, ok bool) {
	rest, found := strings.CutPrefix(nonce, noncePrefix)
	if !found {
		return nil, nil, false
	}
	s, c, found := strings.Cut(rest, ".")
	if !found {
		return nil, nil, false
	}
	enc := base64.RawURLEncoding.Strict()
	salt, err1 := enc.DecodeString(s)
	sum, err2 := enc.DecodeString(c)
	if err1 != nil || err2 != nil || len(salt) != saltSize || len(sum) != 16 {
		return nil, nil, false
	}
	return salt, sum, true
}

// commitment hashes salt with id in an unambiguous encoding: names and
// digests contain no NUL or newline.
func (id Identity) commitment(salt []byte) []byte {
	h := sha256.New()
	h.Write([]byte("volact identity commitment v1\x00"))
	h.Write(salt)
	h.Write([]byte("\x00" + id.HardwareID + "\n"))
	for _, s := range id.Sources {
		h.Write([]byte(s.Name + "\x00" + strings.Join(s.Digests, ",") + "\n"))
	}
	return h.Sum(nil)[:16]
}
