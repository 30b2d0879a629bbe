// Package client is the activation client: it keeps this machine's product
// keys and grants in the store, evaluates their state with the licensing
// core, and activates them against an activation service or a KMS host.
//
// The verbs in internal/cli call it, and so can a vendor's own Go program.
//
// # Hardware
//
// Given [Options.Identity] (machineid.Read), every activation request
// carries a nonce that commits to the machine's hardware sources, and the
// client records those sources with the grant ([Installed.Hardware]). On
// every evaluation it matches them with the current ones: the grant stays
// valid while at least half still match, else the product is in the
// out-of-tolerance grace ([ProductStatus.Hardware] shows which sources
// matched). Grants requested without sources (older stores, or a client
// given only [Options.HardwareID]) stay bound to the hardware id.
package client

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/discovery"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/machineid"
	"github.com/volact/volact/internal/store"
)

// Options configure a Client.
type Options struct {
	StoreDir    string           // client store directory
	CatalogPath string           // explicit catalog file; "" = the one installed in StoreDir
	Now         func() time.Time // the clock (system time plus any offset)
	HardwareID  string           // this machine's hardware id; ignored when Identity is set
	// Identity is this machine's identity (machineid.Read): its hardware id
	// and source digests. When set, grants record its sources and stay
	// valid while at least half of them match; when nil, grants are bound
	// to HardwareID alone.
	Identity   *machineid.Identity
	ServiceURL string        // activation service base URL
	AllowHTTP  bool          // send a MAK over plain HTTP to a public address too (secretnet)
	DNSServer  string        // DNS server host:port for SRV discovery; "" = system
	HTTP       *http.Client  // nil = a client with short timeouts
	NewID      func() string // CMID generator; nil = random UUID
	// TrustedRoots, when set, are the only catalog roots this client
	// accepts, as catalog.RootFingerprint writes them ("sha256:<64 hex>"):
	// a catalog from another root is refused when installed and when
	// loaded. Empty: the first installed catalog pins its root.
	TrustedRoots []string
	// Stagger paces the attempts at KMS hosts (see askHosts); the zero
	// value starts the next attempt discovery.DefaultStagger after a
	// silent one, on the real clock. Tests inject a clock here.
	Stagger discovery.Stagger
}

// Client performs the client verbs on one store.
type Client struct {
	opts  Options
	store *store.Store
	cat   *catalog.Catalog
	// knownTrees are the log sizes this run's requests report
	// (ActivationRequest.KnownTrees), read from the store by Activate.
	knownTrees map[string]int64
}

// CatalogFile is the name of the installed catalog inside the store dir.
const CatalogFile = "catalog.json"

// New returns a Client. It does no I/O.
func New(o Options) *Client {
	if o.NewID == nil {
		o.NewID = newUUID
	}
	if o.Identity != nil {
		o.HardwareID = o.Identity.HardwareID
	}
	return &Client{opts: o, store: store.New(o.StoreDir)}
}

// StoreDir returns the store directory.
func (c *Client) StoreDir() string { return c.opts.StoreDir }

// Catalog loads the catalog: the explicit file if one was given, else the
// one installed in the store. Its root must be one of
// Options.TrustedRoots when they are set. The result is cached.
func (c *Client) Catalog() (*catalog.Catalog, error) {
	if c.cat != nil {
		return c.cat, nil
	}
	path := c.opts.CatalogPath
	explicit := path != ""
	if !explicit {
		path = filepath.Join(c.opts.StoreDir, CatalogFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !explicit {
			return nil, hresult.New(hresult.NoCatalog, "no product catalog is installed in "+c.opts.StoreDir).
				WithHint("install the catalog your activation service publishes: volact catalog install FILE")
		}
		return nil, hresult.Wrap(hresult.CatalogInvalid, err, "cannot read catalog "+path)
	}
	cat, err := catalog.Parse(data)
	if err != nil {
		return nil, err
	}
	if err := cat.CheckTrusted(c.opts.TrustedRoots); err != nil {
		return nil, err
	}
	if explicit {
		// A catalog given on the command line must come from the same root
		// as the installed one, if there is one, and be no older.
		if installed, err := c.installedCatalog(); err == nil {
			if err := cat.CheckReplaces(installed); err != nil {
				return nil, err
			}
		}
	}
	c.cat = cat
	return cat, nil
}

// installedCatalog reads the catalog installed in the store directory.
func (c *Client) installedCatalog() (*catalog.Catalog, error) {
	data, err := os.ReadFile(filepath.Join(c.opts.StoreDir, CatalogFile))
	if err != nil {
		return nil, err
	}
	return catalog.Parse(data)
}

// clock returns the trusted time for this invocation given the store's
// trusted-time bookkeeping (see license.Clock), and updates it in st.
func (c *Client) clock(st *State) (now time.Time, rolledBack bool) {
	eff, next, rb := license.Clock{HighWater: st.TrustedTime, Wall: st.TrustedWall}.Now(c.opts.Now().UTC())
	st.TrustedTime, st.TrustedWall = next.HighWater, next.Wall
	return eff, rb
}

// keepClock saves the trusted clock after a read-only verb found the
// system clock rolled back, so that the trusted time keeps counting from
// this run instead of staying at the high-water mark until the next write.
// It is best effort: a store that cannot be written is left as it is.
func (c *Client) keepClock(rolledBack bool) {
	if rolledBack {
		_ = c.update(func(*State, *catalog.Catalog, time.Time) error { return nil })
	}
}

// load reads the state without the lock and verifies it.
func (c *Client) load() (*State, *catalog.Catalog, error) {
	cat, err := c.Catalog()
	if err != nil {
		return nil, nil, err
	}
	st := &State{}
	if _, err := c.store.View(st); err != nil {
		return nil, nil, err
	}
	if err := st.verify(cat, c.opts.Now(), c.store.Path()); err != nil {
		return nil, nil, err
	}
	return st, cat, nil
}

// update runs fn on the verified state under the store lock and saves it
// if fn succeeds. now is the trusted time.
func (c *Client) update(fn func(st *State, cat *catalog.Catalog, now time.Time) error) error {
	cat, err := c.Catalog()
	if err != nil {
		return err
	}
	st := &State{}
	return c.store.Update(st, func(bool) error {
		if st.Products == nil {
			st.Products = map[string]*Installed{}
		}
		if err := st.verify(cat, c.opts.Now(), c.store.Path()); err != nil {
			return err
		}
		now, _ := c.clock(st)
		c.observe(st, now)
		return fn(st, cat, now)
	})
}
