package client

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/machineid"
	"github.com/volact/volact/internal/protocol"
)

// maxHistory is how many activation attempts the store keeps.
const maxHistory = 200

// State is what the client store holds.
type State struct {
	Products    map[string]*Installed `json:"products"`
	Settings    Settings              `json:"settings"`
	History     []HistoryEntry        `json:"history,omitempty"`
	TrustedTime time.Time             `json:"trusted_time,omitzero"`
	// TrustedWall is the system time of the run that last saved
	// TrustedTime (license.Clock.Wall).
	TrustedWall time.Time `json:"trusted_wall,omitzero"`
	// Logs are the newest checkpoints seen of each server's transparency
	// log, by origin (receipts.go).
	Logs map[string]*LogSeen `json:"logs,omitempty"`
}

// Installed is one product with its key and signed grant.
type Installed struct {
	license.Product
	// Key is the full product key. The store file is 0600; the key is never
	// printed.
	Key string `json:"key,omitempty"`
	// Envelope is the activation answer with its transparency log receipt
	// (or, from before the log, its signature); it is re-verified on every
	// read and is the only source of Product.Grant.
	Envelope *protocol.Envelope `json:"envelope,omitempty"`
	// Hardware is this machine's identity when the grant was applied: the
	// hardware sources the grant stays bound to (within tolerance). The
	// grant's nonce commits to it, so it is covered by the signature. Nil
	// for a grant requested without sources (store format 1, or a client
	// given a hardware id only): that grant is bound to its hardware id.
	Hardware *machineid.Identity `json:"hardware,omitempty"`
	// CurrentCount is the count the KMS host reported last; -1 unknown.
	CurrentCount int `json:"current_count"`
	// Host is the KMS host (host:port) that answered last, and HostSource
	// how it was found: pinned, srv or cached.
	Host       string `json:"host,omitempty"`
	HostSource string `json:"host_source,omitempty"`
}

// Settings are the KMS client settings (sethst, setprt, cachst, setdomain).
type Settings struct {
	KMSHost             string `json:"kms_host,omitempty"`
	KMSPort             int    `json:"kms_port,omitempty"`
	HostCachingDisabled bool   `json:"host_caching_disabled,omitempty"`
	Domain              string `json:"domain,omitempty"`
	CachedHost          string `json:"cached_host,omitempty"` // host:port that answered last
}

// DefaultKMSPort is the port a KMS host listens on unless told otherwise.
const DefaultKMSPort = 1688

// Port returns the pinned port or the default.
func (s Settings) Port() int {
	if s.KMSPort != 0 {
		return s.KMSPort
	}
	return DefaultKMSPort
}

// HistoryEntry is one activation attempt or key change of this machine.
type HistoryEntry struct {
	Time    time.Time    `json:"time"`
	SKU     string       `json:"sku"`
	Action  string       `json:"action"` // inpkey, unpkey, act, rearm, actcid
	Code    hresult.Code `json:"code"`   // 0x00000000 on success
	Message string       `json:"message"`
	Host    string       `json:"host,omitempty"`
}

func (s *State) record(now time.Time, sku, action string, code hresult.Code, msg, host string) {
	s.History = append(s.History, HistoryEntry{Time: now.UTC(), SKU: sku, Action: action, Code: code, Message: msg, Host: host})
	if n := len(s.History); n > maxHistory {
		s.History = append([]HistoryEntry(nil), s.History[n-maxHistory:]...)
	}
}

// verify re-checks every stored grant against the catalog's root, checks
// that its signer may sign it (protocol.CheckGrant: a KMS host signs only
// KMS grants of its groups within the catalog's validity), and derives
// Product.Grant from the signed payload. An edited or overreaching grant,
// or unsigned state that no command writes (license.Implausible: a
// negative rearm count, a grace start after the trusted time), makes the
// whole store untrusted (exit 7).
func (s *State) verify(cat *catalog.Catalog, now time.Time, path string) error {
	root := cat.Root()
	for sku, p := range s.Products {
		if p == nil {
			return tampered(path, fmt.Sprintf("product %q has no data", sku))
		}
		if why := license.Implausible(p.Product, s.TrustedTime); why != "" {
			return tampered(path, fmt.Sprintf("product %s was edited: %s", sku, why))
		}
		if p.Envelope == nil {
			if p.Grant != nil {
				return tampered(path, fmt.Sprintf("product %s has a grant without a signature", sku))
			}
			if p.Hardware != nil {
				return tampered(path, fmt.Sprintf("product %s has hardware sources without a grant", sku))
			}
			continue
		}
		// Certificates are checked at the grant's issue time: a grant stays
		// valid after its signer's certificate expires. The issue time is
		// read before verification but is itself covered by the signature.
		at := issuedAt(*p.Envelope, now)
		var g protocol.Grant
		cert, err := protocol.Open(*p.Envelope, root, at, &g)
		if err != nil {
			return tampered(path, fmt.Sprintf("the grant of %s does not verify (%v)", sku, err))
		}
		if g.SKU != sku {
			return tampered(path, fmt.Sprintf("the grant stored for %s was issued for %s", sku, g.SKU))
		}
		if err := protocol.CheckGrant(g, cert, grantRules(cat, sku)); err != nil {
			return tampered(path, fmt.Sprintf("the grant of %s was signed by a key that may not sign it (%v)", sku, err))
		}
		// A KMS grant was issued within MaxClockSkew of the trusted time when
		// it was received, and the trusted time never goes back: one from
		// the future would stretch its validity. (A proxy confirmation may
		// come from a service whose clock is far ahead of an offline
		// machine's; a MAK grant is permanent anyway.)
		latest := now
		if s.TrustedTime.After(latest) {
			latest = s.TrustedTime
		}
		if g.Kind == protocol.KindKMS && g.IssuedAt.After(latest.Add(protocol.MaxClockSkew)) {
			return tampered(path, fmt.Sprintf("the grant of %s claims to be issued at %s, in the future", sku, g.IssuedAt.UTC().Format(time.RFC3339)))
		}
		want := grantOf(g)
		if p.Grant == nil || !sameGrant(*p.Grant, want) {
			return tampered(path, fmt.Sprintf("the grant of %s was edited", sku))
		}
		if why := checkHardware(p, g); why != "" {
			return tampered(path, fmt.Sprintf("the grant of %s does not verify: %s", sku, why))
		}
	}
	return s.verifyLogs(root, path)
}

// issuedAt reads the issue time of env's grant before verification, to
// check the certificate at that time; fallback when there is none.
func issuedAt(env protocol.Envelope, fallback time.Time) time.Time {
	raw, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return fallback
	}
	var g struct {
		IssuedAt time.Time `json:"issued_at"`
	}
	if json.Unmarshal(raw, &g) != nil || g.IssuedAt.IsZero() {
		return fallback
	}
	return g.IssuedAt
}

// grantOf turns a verified wire grant into the core's grant.
func grantOf(g protocol.Grant) license.Grant {
	return license.Grant{Kind: g.Kind, ActivatedAt: g.IssuedAt.UTC(), ExpiresAt: g.ExpiresAt.UTC(), HardwareID: g.HardwareID}
}

func tampered(path, why string) error {
	return hresult.Newf(hresult.StoreTampered, "store %s is not trustworthy: %s", path, why).
		WithHint("the store was left as it is; restore it from backup, or move it aside and reinstall and reactivate the keys")
}

func sameGrant(a, b license.Grant) bool {
	return a.Kind == b.Kind && a.HardwareID == b.HardwareID &&
		a.ActivatedAt.Equal(b.ActivatedAt) && a.ExpiresAt.Equal(b.ExpiresAt)
}
