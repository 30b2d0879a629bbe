package kms

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpjson"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/protocol"
)

// withDir runs fn with the data directory locked and its database open:
// created if need be with create (install-key), else an existing and
// intact one only.
func withDir(dir string, create bool, fn func(db *sql.DB) error) error {
	mode := dbCheck
	if create {
		mode = dbCreate
	}
	lock, err := lockDir(dir, create)
	if err != nil {
		return err
	}
	defer lock.unlock()
	db, err := openDB(dbPath(dir), mode)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := moveHostKeys(context.Background(), db, dir); err != nil {
		return err
	}
	return fn(db)
}

// InstallKey installs a KMS host key in dir (created if needed), replacing
// the key of the same group and its certificate. catalogData, when not nil,
// is the activation service's signed catalog, copied into dir; the first
// install needs it. A key of another type is refused (exit 3).
func InstallKey(dir, key string, catalogData []byte, now time.Time) (HostKey, error) {
	k, err := productkey.Parse(key)
	if err != nil {
		return HostKey{}, err
	}
	if k.Type != productkey.KMSHost {
		return HostKey{}, hresult.Newf(hresult.InvalidKey, "key %s is a %s key, not a KMS host key", k.Redacted(), k.Type).
			WithHint("install client keys on clients with volact inpkey; mint a host key with volactd mak mint --type kms-host")
	}
	var out HostKey
	err = withDir(dir, true, func(db *sql.DB) error {
		var cat *catalog.Catalog
		var err error
		if catalogData != nil {
			// Before the catalog is stored: kms.db keeps the authority it
			// belongs to (root.go), whatever catalog.json says.
			if cat, err = catalog.Parse(catalogData); err != nil {
				return err
			}
			if err := checkRoot(context.Background(), db, dbPath(dir), cat.RootFingerprint(), true); err != nil {
				return err
			}
			cat, err = installCatalog(dir, catalogData)
		} else {
			cat, err = readCatalog(dir)
		}
		if err != nil {
			return err
		}
		g, ok := cat.GroupByID(k.Product)
		if !ok {
			return hresult.Newf(hresult.SKUNotFound, "KMS host key %s is for group id %d, which the catalog does not list", k.Redacted(), k.Product)
		}
		out = HostKey{Group: g.Name, Last5: k.Last5(), InstalledAt: now.UTC()}
		if err := putHostKey(dir, g.Name, k.String()); err != nil {
			return err
		}
		return inTx(context.Background(), db, func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO host_keys(grp, key, installed_at) VALUES(?,?,?)
				ON CONFLICT(grp) DO UPDATE SET key = excluded.key, installed_at = excluded.installed_at, certificate = '', activated_at = 0`,
				g.Name, redactedPrefix+k.Last5(), now.UnixNano())
			return err
		})
	})
	return out, err
}

// ActivateHost activates every installed host key against the activation
// service at serviceURL (POST /v1/host/activate), with the host's Ed25519
// key (created in dir on first use), and stores the certificates. hostID
// names this host to the service. It returns the keys afterwards; the first
// failure is returned too.
func ActivateHost(ctx context.Context, dir, serviceURL, hostID string, hc *http.Client, now time.Time) ([]HostKey, error) {
	if serviceURL == "" {
		return nil, invalid("no activation service given").WithHint("pass --service URL or set VOLACT_SERVICE")
	}
	if hc == nil {
		hc = &http.Client{Timeout: httpjson.DefaultTimeout}
	}
	var keys []HostKey
	err := withDir(dir, false, func(db *sql.DB) error {
		cat, err := readCatalog(dir)
		if err != nil {
			return err
		}
		if keys, err = loadHostKeys(ctx, db); err != nil {
			return err
		}
		if len(keys) == 0 {
			return hresult.New(hresult.KeyNotInstalled, "no KMS host key is installed on this host").
				WithHint("install one first: volactd kms install-key KEY --data DIR")
		}
		full, err := readHostKeys(dir)
		if err != nil {
			return err
		}
		for i := range keys {
			if k := full[keys[i].Group]; k != "" && last5(k) == keys[i].Last5 {
				keys[i].key = k
				continue
			}
			return hresult.Newf(hresult.KeyNotInstalled, "the host key of group %s is missing from %s", keys[i].Group, KeysFile).
				WithExit(hresult.ExitStore).
				WithHint("install it again: volactd kms install-key KEY --data DIR")
		}
		signer, err := signerFor(dir)
		if err != nil {
			return err
		}
		url := strings.TrimRight(serviceURL, "/") + "/v1/host/activate"
		for i := range keys {
			cert, err := activateOne(ctx, hc, url, cat, keys[i], hostID, signer, now)
			if err != nil {
				return err
			}
			if err := inTx(ctx, db, func(tx *sql.Tx) error {
				_, err := tx.Exec(`UPDATE host_keys SET certificate = ?, activated_at = ? WHERE grp = ?`, cert, now.UnixNano(), keys[i].Group)
				return err
			}); err != nil {
				return err
			}
			keys[i].Activated, keys[i].ActivatedAt, keys[i].certificate = true, now.UTC(), cert
		}
		return nil
	})
	return keys, err
}

// activateOne activates one host key and returns the verified certificate.
func activateOne(ctx context.Context, hc *http.Client, url string, cat *catalog.Catalog, k HostKey, hostID string, signer ed25519.PrivateKey, now time.Time) (string, error) {
	nonce, err := protocol.NewNonce()
	if err != nil {
		return "", hresult.Wrap(hresult.Internal, err, "cannot make a nonce")
	}
	pub := signer.Public().(ed25519.PublicKey)
	req := protocol.HostActivationRequest{Version: protocol.Version, HostKey: k.key, HostID: hostID,
		PublicKey: pub, ClientTime: now.UTC(), Nonce: nonce}
	var hg protocol.HostGrant
	_, svc, err := httpjson.Call(ctx, hc, url, req, cat.Root(), now, &hg)
	if err != nil {
		e := hresult.From(err)
		e.Msg = "activate host key XXXXX-XXXXX-XXXXX-XXXXX-" + k.Last5 + ": " + e.Msg
		return "", e
	}
	if svc.Role != protocol.RoleService {
		return "", hresult.Newf(hresult.BadSignature, "the host activation answer is signed by a %q key, not the activation service", svc.Role)
	}
	cert, err := protocol.VerifyCertificate(hg.Certificate, cat.Root(), now)
	if err != nil {
		return "", err
	}
	switch {
	case hg.HostID != hostID:
		return "", hresult.Newf(hresult.WrongMachine, "the host certificate was issued for host %q, not this one", hg.HostID)
	case cert.Role != protocol.RoleKMSHost:
		return "", hresult.Newf(hresult.BadSignature, "the service issued a %q certificate, not a KMS host certificate", cert.Role)
	case !ed25519.PublicKey(cert.PublicKey).Equal(pub):
		return "", hresult.New(hresult.WrongMachine, "the host certificate is for another host key")
	case !slices.ContainsFunc(cert.Groups, func(g string) bool { return strings.EqualFold(g, k.Group) }):
		return "", hresult.Newf(hresult.WrongMachine, "the host certificate does not cover group %s", k.Group)
	}
	return hg.Certificate, nil
}

// UpdateSettings changes the host's settings with fn, validates and saves
// them. The host must not be running (it holds the directory).
func UpdateSettings(dir string, fn func(*Settings)) (Settings, error) {
	var s Settings
	err := withDir(dir, false, func(db *sql.DB) error {
		var err error
		if s, err = loadSettings(context.Background(), db); err != nil {
			return err
		}
		fn(&s)
		s.RetentionDays = int(s.HistoryRetention / (24 * time.Hour))
		if err := s.Validate(); err != nil {
			return err
		}
		return saveSettings(context.Background(), db, s)
	})
	return s, err
}
