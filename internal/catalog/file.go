package catalog

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/jsonstrict"
)

// MaxFileSize is the largest catalog file Parse accepts.
const MaxFileSize = 1 << 20

// file is the on-disk form; Catalog is kept raw so that the signature is
// checked over the bytes as written.
type file struct {
	Catalog   json.RawMessage `json:"catalog"`
	Signature string          `json:"signature"`
}

// Sign validates c, signs it with root and returns the catalog file bytes
// (indented JSON ending with a newline). root must match c.RootPublicKey.
func (c Catalog) Sign(root ed25519.PrivateKey) ([]byte, error) {
	if len(root) != ed25519.PrivateKeySize {
		return nil, invalid("cannot sign catalog: the root private key is not an Ed25519 key")
	}
	pub := root.Public().(ed25519.PublicKey)
	if !pub.Equal(ed25519.PublicKey(c.RootPublicKey)) {
		return nil, invalid("cannot sign catalog: its root public key (%s) does not belong to the signing key (%s)",
			Fingerprint(c.RootPublicKey), Fingerprint(pub))
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	c.IssuedAt = c.IssuedAt.UTC()
	// Indent the catalog value as it will sit in the file, then sign exactly
	// those bytes: re-indenting the whole file would change them.
	body, err := json.MarshalIndent(c, "  ", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode catalog: %w", err)
	}
	sig, err := json.Marshal(base64.StdEncoding.EncodeToString(ed25519.Sign(root, body)))
	if err != nil {
		return nil, fmt.Errorf("encode catalog signature: %w", err)
	}
	var out bytes.Buffer
	out.WriteString("{\n  \"catalog\": ")
	out.Write(body)
	out.WriteString(",\n  \"signature\": ")
	out.Write(sig)
	out.WriteString("\n}\n")
	return out.Bytes(), nil
}

// Parse decodes a catalog file strictly, verifies its signature with the
// root key it carries and checks its content. Every failure is an
// *hresult.Error with code hresult.CatalogInvalid.
func Parse(data []byte) (*Catalog, error) {
	if len(data) > MaxFileSize {
		return nil, invalid("catalog file is too large (%d bytes, limit %d)", len(data), MaxFileSize)
	}
	var f file
	if err := jsonstrict.Decode(data, &f); err != nil {
		return nil, invalid("catalog file is not valid: %s", jsonstrict.Reason(err))
	}
	if len(f.Catalog) == 0 || f.Signature == "" {
		return nil, invalid("catalog file is not valid: it needs both \"catalog\" and \"signature\"")
	}
	var c Catalog
	if err := jsonstrict.Decode(f.Catalog, &c); err != nil {
		return nil, invalid("catalog content is not valid: %s", jsonstrict.Reason(err))
	}
	if len(c.RootPublicKey) != ed25519.PublicKeySize {
		return nil, invalid("catalog root public key is missing or is not an Ed25519 key")
	}
	sig, err := base64.StdEncoding.DecodeString(f.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, invalid("catalog signature is not a base64 Ed25519 signature")
	}
	if !ed25519.Verify(ed25519.PublicKey(c.RootPublicKey), f.Catalog, sig) {
		return nil, invalid("catalog signature does not verify: the file was edited or signed by another authority")
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// CheckPinned refuses a catalog signed by a root other than the pinned one.
func (c *Catalog) CheckPinned(root ed25519.PublicKey) error {
	if root.Equal(ed25519.PublicKey(c.RootPublicKey)) {
		return nil
	}
	return invalid("catalog is signed by another authority (root %s) than the installed one (%s)",
		Fingerprint(c.RootPublicKey), Fingerprint(root)).
		WithHint("install the catalog published by your own activation service")
}

// CheckReplaces checks that c may take the place of installed, the
// catalog a client has installed: signed by the same root
// ([Catalog.CheckPinned]) and issued no earlier, so that an older catalog
// of the vendor (one that may still allow an override or a validity the
// vendor has withdrawn) cannot be put back. Failures are
// hresult.CatalogInvalid (exit 3).
func (c *Catalog) CheckReplaces(installed *Catalog) error {
	if err := c.CheckPinned(installed.Root()); err != nil {
		return err
	}
	if c.IssuedAt.Before(installed.IssuedAt) {
		return invalid("catalog of %s issued %s is older than the installed one (issued %s): an authority's catalogs only move forward",
			c.Issuer, c.IssuedAt.UTC().Format(time.RFC3339), installed.IssuedAt.UTC().Format(time.RFC3339)).
			WithHint("install the newest catalog your activation service publishes")
	}
	return nil
}

// validate checks the content rules a signed catalog must also meet.
func (c *Catalog) validate() error {
	if c.Version != FormatVersion {
		return invalid("catalog version %d is not supported (this volact reads version %d)", c.Version, FormatVersion)
	}
	if strings.TrimSpace(c.Issuer) == "" {
		return invalid("catalog has no issuer")
	}
	if len(c.Groups) == 0 || len(c.Products) == 0 {
		return invalid("catalog needs at least one group and one product")
	}
	names, gids := map[string]bool{}, map[uint16]bool{}
	for _, g := range c.Groups {
		if err := checkName("group", g.Name); err != nil {
			return err
		}
		switch n := strings.ToLower(g.Name); {
		case names[n]:
			return invalid("catalog lists group %q twice", g.Name)
		case g.ID == 0 || g.ID > MaxID || gids[g.ID]:
			return invalid("catalog group %q has id %d, which is used twice or outside 1..%d", g.Name, g.ID, MaxID)
		case g.Threshold < 1:
			return invalid("catalog group %q has threshold %d (must be at least 1)", g.Name, g.Threshold)
		}
		names[strings.ToLower(g.Name)], gids[g.ID] = true, true
	}
	skus, pids := map[string]bool{}, map[uint16]bool{}
	for _, p := range c.Products {
		if err := checkName("SKU", p.SKU); err != nil {
			return err
		}
		switch s := strings.ToLower(p.SKU); {
		case skus[s]:
			return invalid("catalog lists SKU %q twice", p.SKU)
		case p.ID == 0 || p.ID > MaxID || pids[p.ID]:
			return invalid("catalog SKU %q has id %d, which is used twice or outside 1..%d", p.SKU, p.ID, MaxID)
		case !names[strings.ToLower(p.Group)]:
			return invalid("catalog SKU %q names group %q, which the catalog does not define", p.SKU, p.Group)
		case p.GraceDays < 0 || p.OOTGraceDays < 0 || p.KMSValidityDays < 0 || p.RearmLimit < 0:
			return invalid("catalog SKU %q has a negative grace, validity or rearm setting", p.SKU)
		}
		skus[strings.ToLower(p.SKU)], pids[p.ID] = true, true
	}
	return c.Policy.validate()
}

// checkName accepts 1..64 characters of letters, digits, '-', '_' and '.'.
func checkName(what, s string) error {
	ok := s != "" && len(s) <= 64
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			ok = false
		}
	}
	if !ok {
		return invalid("catalog %s %q is not a valid name (1-64 letters, digits, '-', '_', '.')", what, s)
	}
	return nil
}

func invalid(format string, args ...any) *hresult.Error {
	return hresult.Newf(hresult.CatalogInvalid, format, args...)
}
