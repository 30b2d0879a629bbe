// Package productkey implements volact product keys (design §3): their
// text form, check symbols, encoding, minting and MAC verification.
//
// A key is 25 symbols from [Alphabet] in 5 groups of 5. The first 23
// symbols are a 105-bit number in base 24 holding, most significant first,
// version (3 bits), type (2), product or group id (10), MAK activation
// limit (20), serial (28) and a 42-bit MAC. The last 2 symbols are check
// symbols that catch every single-symbol typo and every swap of two
// neighbouring symbols offline. Only the holder of the minting secret (the
// activation service) can check the MAC.
//
// A full key is a secret: print [Key.Redacted] or [Redact], never the key.
// The package is pure: no disk, no network, no clock.
package productkey

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/volact/volact/internal/hresult"
)

// Alphabet is the set of key symbols; a symbol's value is its index. It
// leaves out vowels and the look-alikes 0, 1, 5, I, L, N, O, S, U, Z.
const Alphabet = "BCDFGHJKMPQRTVWXY2346789"

// CurrentVersion is the only key version this build mints and accepts.
const CurrentVersion = 1

// Type is the kind of a key.
type Type uint8

// The key types.
const (
	Retail    Type = iota // retail key for one product
	MAK                   // multiple activation key with an activation limit
	KMSClient             // published key that makes a client use a KMS host
	KMSHost               // key that lets a KMS host serve a counted group
)

// Fields are the values a key carries, apart from its MAC.
type Fields struct {
	Version     uint8  // key format version; 0 in Mint means CurrentVersion
	Type        Type   // retail, MAK, KMS client or KMS host
	Product     uint16 // SKU id, or the group id for a KMS host key; at most MaxProduct
	Activations uint32 // MAK activation limit 1..MaxActivations; 0 for other types
	Serial      uint32 // serial number chosen by the minter; at most MaxSerial
}

// Key is a parsed or minted product key. The zero Key is no key.
//
// Key's fmt formatting (%v, %s) prints [Key.Redacted], so that a key
// passed to a log or print function by mistake does not leak. Call
// [Key.String] explicitly to store or send the full key.
type Key struct {
	Fields
	MAC uint64 // 42-bit MAC over Fields, see Mint and VerifyMAC

	text string // canonical form
}

// Parse reads a key typed by a user: see [Normalize] for what it accepts.
// It checks the check symbols and that the fields make sense, but not the
// MAC. Every error is an [*hresult.Error] with code [hresult.InvalidKey]
// whose message never contains the key.
func Parse(s string) (Key, error) {
	sym, err := scan(s)
	if err != nil {
		return Key{}, err
	}
	if checkSum(&sym) != 0 {
		return Key{}, invalid("product key check symbols do not match: probably a typo")
	}
	f, mac, ok := decode(&sym)
	if !ok {
		return Key{}, invalid("product key is not a volact key: its payload is out of range")
	}
	if f.Version != CurrentVersion {
		return Key{}, hresult.Newf(hresult.InvalidKey, "product key version %d is not supported", f.Version).
			WithHint(fmt.Sprintf("this build reads version %d keys; check the key for typos or upgrade volact", CurrentVersion))
	}
	switch {
	case f.Type == MAK && f.Activations == 0:
		return Key{}, invalid("product key is a MAK with an activation limit of 0")
	case f.Type != MAK && f.Activations != 0:
		return Key{}, invalid("product key of type %s carries an activation limit, which only a MAK has", f.Type)
	}
	return Key{Fields: f, MAC: mac, text: sym.text()}, nil
}

// Mint makes the key for f, with a MAC computed from secret. A Version of
// 0 means CurrentVersion. Fields out of range give [hresult.InvalidArg].
func Mint(f Fields, secret []byte) (Key, error) {
	if f.Version == 0 {
		f.Version = CurrentVersion
	}
	if err := f.validate(); err != nil {
		return Key{}, err
	}
	if len(secret) == 0 {
		return Key{}, hresult.New(hresult.InvalidArg, "minting a product key needs a non-empty secret")
	}
	mac := computeMAC(f, secret)
	sym := encode(f, mac)
	return Key{Fields: f, MAC: mac, text: sym.text()}, nil
}

// validate checks the ranges Mint needs.
func (f Fields) validate() error {
	bad := func(format string, args ...any) error {
		return hresult.Newf(hresult.InvalidArg, format, args...)
	}
	switch {
	case f.Version != CurrentVersion:
		return bad("product key version %d is not supported (want %d)", f.Version, CurrentVersion)
	case f.Type > KMSHost:
		return bad("product key type %d is unknown", uint8(f.Type))
	case f.Product > MaxProduct:
		return bad("product id %d is out of range (0..%d)", f.Product, MaxProduct)
	case f.Serial > MaxSerial:
		return bad("serial %d is out of range (0..%d)", f.Serial, MaxSerial)
	case f.Type == MAK && (f.Activations < 1 || f.Activations > MaxActivations):
		return bad("MAK activation limit %d is out of range (1..%d)", f.Activations, MaxActivations)
	case f.Type != MAK && f.Activations != 0:
		return bad("a %s key has no activation limit, got %d", f.Type, f.Activations)
	}
	return nil
}

// macContext separates this MAC from any other use of the same secret.
const macContext = "volact product key MAC v1\x00"

// computeMAC is the first 42 bits of HMAC-SHA256(secret, macContext ||
// the 63-bit packed fields as 8 big-endian bytes).
func computeMAC(f Fields, secret []byte) uint64 {
	m := hmac.New(sha256.New, secret)
	var b [len(macContext) + 8]byte
	copy(b[:], macContext)
	binary.BigEndian.PutUint64(b[len(macContext):], header(f))
	m.Write(b[:])
	sum := m.Sum(nil)
	return binary.BigEndian.Uint64(sum) >> (64 - macBits)
}

// VerifyMAC reports whether k was minted with secret. It runs in constant
// time with respect to the MAC. An empty secret never verifies.
func (k Key) VerifyMAC(secret []byte) bool {
	if len(secret) == 0 || k.text == "" {
		return false
	}
	var want, got [8]byte
	binary.BigEndian.PutUint64(want[:], computeMAC(k.Fields, secret))
	binary.BigEndian.PutUint64(got[:], k.MAC)
	return subtle.ConstantTimeCompare(want[:], got[:]) == 1
}

// String returns the full key in canonical form, for storing or sending
// only: never print or log it; use [Key.Redacted]. It is "" for the zero Key.
func (k Key) String() string { return k.text }

// Last5 returns the last 5 symbols, the part of a key that may be shown.
func (k Key) Last5() string {
	if len(k.text) < 5 {
		return ""
	}
	return k.text[len(k.text)-5:]
}

// Redacted returns "XXXXX-XXXXX-XXXXX-XXXXX-" and the last 5 symbols, or
// "XXXXX" for the zero Key.
func (k Key) Redacted() string {
	if k.text == "" {
		return "XXXXX"
	}
	return redactedPrefix + k.Last5()
}

// ID returns a stable identifier for k that reveals nothing of it: the
// first 32 hex digits of the SHA-256 of the canonical key. It is "" for the
// zero Key.
func (k Key) ID() string {
	if k.text == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(k.text))
	return hex.EncodeToString(sum[:16])
}

// Format prints k.Redacted() for every verb, so that fmt never shows a
// full key.
func (k Key) Format(f fmt.State, verb rune) {
	_, _ = f.Write([]byte(k.Redacted()))
}
