// Package authority holds the activation service's key material on disk:
// the Ed25519 root key that signs the catalog and certificates, the signed
// catalog itself, and the service's signing key. It also mints product
// keys, whose MAC only this authority can check.
//
// Layout of an authority directory (mode 0700):
//
//	root.key      root private key, PKCS #8 PEM, mode 0600
//	catalog.json  the signed catalog, mode 0644
//	service.key   the service's signing key, PKCS #8 PEM, mode 0600
package authority

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/volact/volact/internal/atomicfile"
	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/protocol"
)

// File names inside an authority directory.
const (
	RootKeyFile    = "root.key"
	CatalogFile    = "catalog.json"
	ServiceKeyFile = "service.key"
)

// ServiceCertValidity is how long a certificate from ServiceSigner is valid.
const ServiceCertValidity = 365 * 24 * time.Hour

// Authority is a loaded authority directory.
type Authority struct {
	Dir          string             // the directory
	Root         ed25519.PrivateKey // root signing key
	Catalog      *catalog.Catalog   // the parsed, verified catalog
	CatalogBytes []byte             // catalog.json exactly as stored, for publishing
}

// InitOption changes what Init writes into the new catalog.
type InitOption func(*catalog.Catalog) error

// AllowOverrides makes Init's catalog allow the overrides names
// (catalog.OverrideClock, catalog.OverrideMachineID): clients then honour
// VOLACT_CLOCK_OFFSET or VOLACT_MACHINE_ID. It refuses unknown names
// (hresult.InvalidArg, exit 3). Without it the catalog allows none.
func AllowOverrides(names ...string) InitOption {
	return func(c *catalog.Catalog) error {
		list, err := catalog.ParseOverrides(strings.Join(names, ","))
		if err != nil {
			return err
		}
		c.Policy.AllowOverrides = list
		return nil
	}
}

// Init creates a new authority in dir: a fresh root key, the built-in
// catalog template with a published KMS client key per SKU, changed by
// opts and signed at now. It refuses to touch a directory that already
// holds a root key.
func Init(dir string, now time.Time, opts ...InitOption) (*Authority, error) {
	var probe catalog.Catalog
	for _, o := range opts {
		if err := o(&probe); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create authority directory: %w", err)
	}
	rootPath := filepath.Join(dir, RootKeyFile)
	exists := invalidArg("%s already holds an authority (%s exists); refusing to overwrite it", dir, RootKeyFile).
		WithHint("choose another --dir; replacing the root key would invalidate every key and catalog it signed")
	if _, err := os.Lstat(rootPath); err == nil {
		return nil, exists
	}
	_, root, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, fmt.Errorf("generate root key: %w", err)
	}
	a := &Authority{Dir: dir, Root: root}
	tmpl := catalog.Template(a.Public(), now)
	for i, p := range tmpl.Products {
		k, err := productkey.Mint(productkey.Fields{Type: productkey.KMSClient, Product: p.ID, Serial: 1}, a.MACSecret())
		if err != nil {
			return nil, fmt.Errorf("mint KMS client key for %s: %w", p.SKU, err)
		}
		tmpl.Products[i].KMSClientKey = k.String()
	}
	for _, o := range opts {
		if err := o(&tmpl); err != nil {
			return nil, err
		}
	}
	data, err := tmpl.Sign(root)
	if err != nil {
		return nil, err
	}
	if a.Catalog, err = catalog.Parse(data); err != nil {
		return nil, fmt.Errorf("check new catalog: %w", err)
	}
	a.CatalogBytes = data

	pemData, err := encodeKey(root)
	if err != nil {
		return nil, fmt.Errorf("encode root key: %w", err)
	}
	if err := atomicfile.Create(rootPath, pemData, 0o600); errors.Is(err, fs.ErrExist) {
		return nil, exists
	} else if err != nil {
		return nil, fmt.Errorf("write %s: %w", rootPath, err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, CatalogFile), data, 0o644); err != nil {
		_ = os.Remove(rootPath) // leave no half-made authority behind
		return nil, fmt.Errorf("write %s: %w", filepath.Join(dir, CatalogFile), err)
	}
	return a, nil
}

// Load reads the authority in dir. It refuses a root key that other users
// can read and a catalog that the root did not sign.
func Load(dir string) (*Authority, error) {
	rootPath := filepath.Join(dir, RootKeyFile)
	root, err := readKey(rootPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, invalidArg("no authority in %s: run volactd mak init --dir %s", dir, dir)
	} else if err != nil {
		return nil, fmt.Errorf("read root key: %w", err)
	}
	catPath := filepath.Join(dir, CatalogFile)
	data, err := os.ReadFile(catPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, hresult.Newf(hresult.NoCatalog, "%s is missing from the authority in %s", CatalogFile, dir)
	} else if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	a := &Authority{Dir: dir, Root: root, CatalogBytes: data}
	if a.Catalog, err = catalog.Parse(data); err != nil {
		return nil, fmt.Errorf("%s: %w", catPath, err)
	}
	if err := a.Catalog.CheckPinned(a.Public()); err != nil {
		return nil, fmt.Errorf("%s: %w", catPath, err)
	}
	return a, nil
}

// Public returns the root public key (the key clients pin).
func (a *Authority) Public() ed25519.PublicKey { return a.Root.Public().(ed25519.PublicKey) }

// Fingerprint is the root's fingerprint, "sha256:<hex>"
// (catalog.RootFingerprint): what the authority's ledger records as its
// owner.
func (a *Authority) Fingerprint() string { return catalog.RootFingerprint(a.Public()) }

// Exists reports whether dir holds an authority (a root key).
func Exists(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, RootKeyFile))
	return err == nil
}

// MACSecret is the secret product key MACs are made with:
// HMAC-SHA256(root seed, "volact key mac v1").
func (a *Authority) MACSecret() []byte {
	m := hmac.New(sha256.New, a.Root.Seed())
	m.Write([]byte("volact key mac v1"))
	return m.Sum(nil)
}

// Mint makes a product key of type t for sku. MAK keys need activations
// in 1..productkey.MaxActivations; other types take none. A KMS host key
// carries the SKU's group id; a KMS client key is the one the catalog
// publishes. A serial of 0 picks a random one.
func (a *Authority) Mint(t productkey.Type, sku string, activations int, serial uint32) (productkey.Key, error) {
	p, ok := a.Catalog.Product(sku)
	if !ok {
		return productkey.Key{}, hresult.Newf(hresult.SKUNotFound, "SKU %q is not in the catalog", sku).
			WithHint("volact catalog show lists the SKUs")
	}
	if t == productkey.MAK && (activations < 1 || activations > productkey.MaxActivations) {
		return productkey.Key{}, hresult.Newf(hresult.InvalidArg, "a MAK needs an activation limit of 1..%d, got %d", productkey.MaxActivations, activations)
	}
	if t != productkey.MAK && activations != 0 {
		return productkey.Key{}, hresult.Newf(hresult.InvalidArg, "activation limits apply to MAK keys only, not to %s keys", t)
	}
	f := productkey.Fields{Type: t, Product: p.ID, Activations: uint32(activations), Serial: serial}
	switch t {
	case productkey.KMSClient:
		k, err := productkey.Parse(p.KMSClientKey)
		if err != nil {
			return productkey.Key{}, hresult.Newf(hresult.CatalogInvalid, "the catalog publishes no usable KMS client key for %s", p.SKU)
		}
		return k, nil
	case productkey.KMSHost:
		g, ok := a.Catalog.Group(p.Group)
		if !ok {
			return productkey.Key{}, hresult.Newf(hresult.CatalogInvalid, "the catalog has no group %q for %s", p.Group, p.SKU)
		}
		f.Product = g.ID
	}
	if f.Serial == 0 {
		var err error
		if f.Serial, err = randomSerial(); err != nil {
			return productkey.Key{}, fmt.Errorf("choose serial: %w", err)
		}
	}
	return productkey.Mint(f, a.MACSecret())
}

// randomSerial returns a random non-zero serial of at most 28 bits.
func randomSerial() (uint32, error) {
	var b [4]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, err
		}
		if s := binary.BigEndian.Uint32(b[:]) & productkey.MaxSerial; s != 0 {
			return s, nil
		}
	}
}

// ServiceSigner returns the service's signing key (created on first use
// and kept in service.key) and a certificate for it, role "service",
// issued at now and valid for ServiceCertValidity.
func (a *Authority) ServiceSigner(now time.Time) (ed25519.PrivateKey, string, error) {
	return a.ServiceSignerIn(a.Dir, now)
}

// ServiceSignerIn is ServiceSigner with the key kept in dir/service.key:
// a replica of the service with its own transparency log signs with a key
// of its own, so that two replicas never sign two histories under one log
// origin.
func (a *Authority) ServiceSignerIn(dir string, now time.Time) (ed25519.PrivateKey, string, error) {
	key, err := loadOrCreateKey(filepath.Join(dir, ServiceKeyFile))
	if err != nil {
		return nil, "", fmt.Errorf("service key: %w", err)
	}
	cert, err := protocol.IssueCertificate(a.Root, protocol.Certificate{
		Subject:   "service",
		Role:      protocol.RoleService,
		PublicKey: key.Public().(ed25519.PublicKey),
		IssuedAt:  now,
		NotAfter:  now.Add(ServiceCertValidity),
	})
	if err != nil {
		return nil, "", fmt.Errorf("service certificate: %w", err)
	}
	return key, cert, nil
}
