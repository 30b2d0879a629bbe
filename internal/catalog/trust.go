package catalog

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/volact/volact/internal/hresult"
)

// RootFingerprintPrefix starts every root fingerprint.
const RootFingerprintPrefix = "sha256:"

// RootFingerprint names a root key in full, as builds pin it and
// `dstatus --json` shows it: "sha256:" and the 64 lower-case hex digits of
// the SHA-256 of the raw Ed25519 public key. ([Fingerprint] is its short
// form for messages.)
func RootFingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return RootFingerprintPrefix + hex.EncodeToString(sum[:])
}

// RootFingerprint is the [RootFingerprint] of the root that signed c.
func (c *Catalog) RootFingerprint() string { return RootFingerprint(c.Root()) }

// ParseRootFingerprint checks that s is a root fingerprint, sha256:<64 hex>
// (surrounding space and upper-case hex accepted), and returns it in the
// form RootFingerprint writes. Failures are hresult.InvalidArg, exit 3.
func ParseRootFingerprint(s string) (string, error) {
	fp := strings.ToLower(strings.TrimSpace(s))
	digits, ok := strings.CutPrefix(fp, RootFingerprintPrefix)
	if _, err := hex.DecodeString(digits); !ok || err != nil || len(digits) != 2*sha256.Size {
		return "", hresult.Newf(hresult.InvalidArg, "%q is not a root fingerprint (want sha256: and 64 hex digits)", s).
			WithExit(hresult.ExitInvalid).
			WithHint("volact catalog show and volact dstatus --json show the fingerprint of a catalog's root")
	}
	return fp, nil
}

// CheckTrusted refuses a catalog whose root is not one of trusted (root
// fingerprints as ParseRootFingerprint reads them). An empty trusted list
// trusts every root: the client then pins the root of the first catalog
// it installs ([Catalog.CheckPinned]). Failures are hresult.CatalogInvalid
// (exit 3), or hresult.InvalidArg for a malformed entry of trusted.
func (c *Catalog) CheckTrusted(trusted []string) error {
	if len(trusted) == 0 {
		return nil
	}
	want := make([]string, 0, len(trusted))
	for _, s := range trusted {
		fp, err := ParseRootFingerprint(s)
		if err != nil {
			return err
		}
		want = append(want, fp)
	}
	got := c.RootFingerprint()
	if slices.Contains(want, got) {
		return nil
	}
	return invalid("the catalog of %s is signed by root %s, which this volact does not trust (it trusts %s)",
		c.Issuer, got, strings.Join(want, ", ")).
		WithHint("install the catalog published by the activation service this volact was built for")
}
