// Package catalog holds the signed product catalog: the products a vendor
// licenses, the counted groups a KMS host serves, their activation
// thresholds, grace periods, rearm limits and published KMS client keys.
//
// A catalog file is JSON of the form
//
//	{"catalog": {...}, "signature": "<base64 Ed25519 signature>"}
//
// where the signature covers the exact bytes of the "catalog" value as they
// appear in the file, and verifies with the root public key that the
// catalog itself carries. Clients pin that root when they first install a
// catalog ([Catalog.CheckPinned]) so that a catalog signed by anyone else is
// refused later; a build may also pin roots ([Catalog.CheckTrusted]). The
// catalog's [Policy] says which test and container overrides clients may
// honour ([Catalog.AllowsOverride]); the signature covers it.
//
// The package is pure: no disk, no network, no clock.
package catalog

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/volact/volact/internal/license"
)

// FormatVersion is the only catalog version this build understands.
const FormatVersion = 1

// MaxID is the largest product or group id: the width of the id field in
// a product key (10 bits).
const MaxID = 1023

// Defaults that apply when a product leaves a setting at 0 (design §2).
const (
	DefaultGraceDays       = 30
	DefaultOOTGraceDays    = 30
	DefaultKMSValidityDays = 180
	DefaultRearmLimit      = 5
)

// Group is a counted group: the unit a KMS host counts clients in.
type Group struct {
	Name      string `json:"name"`
	ID        uint16 `json:"id"`
	Threshold int    `json:"threshold"` // distinct clients needed before the host activates any
}

// Product is one licensable product (SKU).
type Product struct {
	SKU             string `json:"sku"`
	Name            string `json:"name"`
	ID              uint16 `json:"id"`
	Group           string `json:"group"`
	GraceDays       int    `json:"grace_days,omitempty"`        // initial grace; 0 = DefaultGraceDays
	OOTGraceDays    int    `json:"oot_grace_days,omitempty"`    // out-of-tolerance grace; 0 = DefaultOOTGraceDays
	KMSValidityDays int    `json:"kms_validity_days,omitempty"` // 0 = DefaultKMSValidityDays
	RearmLimit      int    `json:"rearm_limit,omitempty"`       // 0 = DefaultRearmLimit
	KMSClientKey    string `json:"kms_client_key,omitempty"`    // published KMS client key
}

// Grace is the initial grace period of p.
func (p Product) Grace() time.Duration { return days(p.GraceDays, DefaultGraceDays) }

// OOTGrace is the out-of-tolerance grace period of p.
func (p Product) OOTGrace() time.Duration { return days(p.OOTGraceDays, DefaultOOTGraceDays) }

// KMSValidity is how long a KMS activation of p stays valid without renewal.
func (p Product) KMSValidity() time.Duration {
	return days(p.KMSValidityDays, DefaultKMSValidityDays)
}

// Rearms is the number of rearms p allows.
func (p Product) Rearms() int {
	if p.RearmLimit == 0 {
		return DefaultRearmLimit
	}
	return p.RearmLimit
}

// LicensePolicy is the licensing rules of p as the client's core applies
// them ([license.Evaluate], [license.Rearm]): the graces and the KMS
// validity in days, and the rearms. The client and the fleet simulator
// both take a product's rules from here.
func (p Product) LicensePolicy() license.Policy {
	const day = 24 * time.Hour
	return license.Policy{
		GraceDays:       int(p.Grace() / day),
		OOTGraceDays:    int(p.OOTGrace() / day),
		KMSValidityDays: int(p.KMSValidity() / day),
		RearmLimit:      p.Rearms(),
	}
}

func days(n, def int) time.Duration {
	if n == 0 {
		n = def
	}
	return time.Duration(n) * 24 * time.Hour
}

// Catalog is the content of a catalog file, without its signature.
type Catalog struct {
	Version       int       `json:"version"`
	Issuer        string    `json:"issuer"`
	IssuedAt      time.Time `json:"issued_at"`
	RootPublicKey []byte    `json:"root_public_key"` // Ed25519, base64 in JSON
	Groups        []Group   `json:"groups"`
	Products      []Product `json:"products"`
	Policy        Policy    `json:"policy,omitzero"` // what clients may honour; signed with the rest
}

// Template returns the built-in catalog that `volactd mak init` starts
// from (design §8): suite-pro, workstation-ent and server-std in the
// groups suite (threshold 5), workstation (25) and server (5). KMS client
// keys are left empty for the authority to fill in.
func Template(root ed25519.PublicKey, issuedAt time.Time) Catalog {
	return Catalog{
		Version:       FormatVersion,
		Issuer:        "volact activation service",
		IssuedAt:      issuedAt.UTC().Truncate(time.Second),
		RootPublicKey: append([]byte(nil), root...),
		Groups: []Group{
			{Name: "suite", ID: 1, Threshold: 5},
			{Name: "workstation", ID: 2, Threshold: 25},
			{Name: "server", ID: 3, Threshold: 5},
		},
		Products: []Product{
			{SKU: "suite-pro", Name: "volact Suite Pro", ID: 1, Group: "suite"},
			{SKU: "workstation-ent", Name: "volact Workstation Enterprise", ID: 2, Group: "workstation"},
			{SKU: "server-std", Name: "volact Server Standard", ID: 3, Group: "server"},
		},
	}
}

// Product finds a product by SKU (case-insensitive).
func (c *Catalog) Product(sku string) (Product, bool) {
	for _, p := range c.Products {
		if strings.EqualFold(p.SKU, sku) {
			return p, true
		}
	}
	return Product{}, false
}

// ProductByID finds a product by its numeric id (the id keys carry).
func (c *Catalog) ProductByID(id uint16) (Product, bool) {
	for _, p := range c.Products {
		if p.ID == id {
			return p, true
		}
	}
	return Product{}, false
}

// Group finds a counted group by name (case-insensitive).
func (c *Catalog) Group(name string) (Group, bool) {
	for _, g := range c.Groups {
		if strings.EqualFold(g.Name, name) {
			return g, true
		}
	}
	return Group{}, false
}

// GroupByID finds a counted group by its numeric id (the id KMS host keys carry).
func (c *Catalog) GroupByID(id uint16) (Group, bool) {
	for _, g := range c.Groups {
		if g.ID == id {
			return g, true
		}
	}
	return Group{}, false
}

// Root returns the catalog's root public key.
func (c *Catalog) Root() ed25519.PublicKey { return ed25519.PublicKey(c.RootPublicKey) }

// Fingerprint is a short, stable name for a root key in messages: the
// first 16 hex digits of its SHA-256. Builds pin, and reports show, the
// full form, [RootFingerprint].
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}
