// Package machineid derives the identity that activations are bound to.
//
// An [Identity] has two parts:
//
//   - the hardware id, 32 hex characters, that travels in activation
//     requests and grants. It is the hash of the primary source (the first
//     readable one: /etc/machine-id on Linux, the platform UUID on macOS,
//     MachineGuid on Windows), computed exactly as volact always did, so
//     existing grants and server records stay valid;
//   - per-source digests, which the client records with a grant and
//     compares on every evaluation with [Identity.Match], so that a grant
//     survives a replaced network card or disk but not a cloned machine.
//
// Every value is hashed with a domain-separation prefix that names the
// source ("volact machine source v1\x00<name>\x00<value>"): raw
// identifiers never leave the machine and never reach the store.
// The digests travel in MAK activation requests, where the activation
// service matches them the same way to tell a clone from the machine it
// was copied from.
//
// # Sources
//
// Source names are stable strings:
//
//	machine-id        Linux /etc/machine-id (or /var/lib/dbus/machine-id)
//	dmi-product-uuid  Linux /sys/class/dmi/id/product_uuid (readable by root only)
//	board-serial      Linux /sys/class/dmi/id/board_serial (readable by root only)
//	macs              Linux: the MACs of physical interfaces, those with
//	                  /sys/class/net/<if>/device
//	platform-uuid     macOS IOPlatformUUID (sysctl kern.uuid, else ioreg)
//	platform-serial   macOS IOPlatformSerialNumber (ioreg)
//	machine-guid      Windows HKLM\SOFTWARE\Microsoft\Cryptography MachineGuid
//	smbios-uuid       Windows SMBIOS system UUID (firmware table RSMB)
//	host-id           other systems: /etc/hostid, else the host name
//	override          VOLACT_MACHINE_ID, alone
//
// A source that cannot be read, or that holds a known placeholder ("To be
// filled by O.E.M.", an all-zero UUID, ...), is left out.
//
// All physical MACs together form one source, "macs", with one digest per
// MAC: it matches when any MAC recorded at activation is still present.
// Counting each MAC as its own source would let a machine with many ports
// outvote its other sources, and make a replaced multi-port card look
// like several changes; interface names are not used because they change
// between releases and boots.
package machineid

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"

	"github.com/volact/volact/internal/hresult"
)

// Names of the sources an [Identity] may carry.
const (
	SourceMachineID      = "machine-id"
	SourceDMIProductUUID = "dmi-product-uuid"
	SourceBoardSerial    = "board-serial"
	SourceMACs           = "macs"
	SourcePlatformUUID   = "platform-uuid"
	SourcePlatformSerial = "platform-serial"
	SourceMachineGUID    = "machine-guid"
	SourceSMBIOSUUID     = "smbios-uuid"
	SourceHostID         = "host-id"
	SourceOverride       = "override"
)

// Options say where Read looks.
type Options struct {
	// Override, when not blank, replaces every OS source: the identity has
	// the single source "override" (VOLACT_MACHINE_ID, for containers).
	// Whether an override may be used is the caller's decision.
	Override string
	// Root, when set, makes Read take the file-based sources of the Linux
	// layout (etc/machine-id, sys/class/dmi/id/..., sys/class/net/...)
	// under this directory, on every OS, and nothing else. It is for tests
	// only and no shipped flag sets it.
	Root string
}

// MaxDigests bounds the digests of one source: a host with more physical
// interfaces (SR-IOV virtual functions have a device link too) keeps the
// MaxDigests lowest digests of its MACs. The choice depends only on the
// MACs, so it is the same at every read, and a changed card leaves most of
// them in place; "macs" matches when any one of them is. It is also the
// limit an activation request's sources must keep (package protocol).
const MaxDigests = 64

// Source is the hashed form of one identity source.
type Source struct {
	Name string `json:"name"`
	// Digests are 32 hex characters each, sorted: one for most sources,
	// one per MAC for "macs" (at most MaxDigests).
	Digests []string `json:"digests"`
}

// Identity is this machine's identity: the hardware id and the digests of
// every readable source, in a fixed order with the primary source first.
type Identity struct {
	HardwareID string   `json:"hardware_id"`
	Sources    []Source `json:"sources,omitempty"`
}

// SourceNames returns the names of id's sources, in order.
func (id Identity) SourceNames() []string {
	out := make([]string, len(id.Sources))
	for i, s := range id.Sources {
		out[i] = s.Name
	}
	return out
}

// rawSource is a source as read, before hashing; it never leaves the
// package.
type rawSource struct {
	name   string
	values []string
}

// Read returns this machine's identity. With opts.Override it is the
// single source "override"; with opts.Root (or the root a test set with
// [SetTestOnlyRoot]) the file sources under that directory; else the OS's
// sources. It fails (hresult.Internal) when no
// source other than "macs" can be read: the hardware id needs one.
func Read(opts Options) (Identity, error) {
	if o := strings.TrimSpace(opts.Override); o != "" {
		return build([]rawSource{{name: SourceOverride, values: []string{o}}})
	}
	root := opts.Root
	if root == "" {
		root = testOnlyRoot
	}
	var raw []rawSource
	if root != "" {
		raw = fileSources(root)
	} else {
		raw = osSources()
	}
	return build(raw)
}

// testOnlyRoot is the Root of every Read whose Options give none (see
// [SetTestOnlyRoot]); "" in every shipped binary.
var testOnlyRoot string

// SetTestOnlyRoot makes every later Read whose Options have neither an
// Override nor a Root read the file sources under root, as Options.Root
// does; "" restores the OS's sources. It is for end-to-end tests, whose
// test binary runs the shipped CLI as a real process (internal/e2e's
// TestMain calls it with VOLACT_TEST_MACHINE_ROOT). No shipped binary
// calls it, so no flag or environment variable of a shipped binary
// reaches it. It must be called before any Read, not concurrently.
func SetTestOnlyRoot(root string) { testOnlyRoot = root }

// ID returns the hardware id alone (32 hex characters): that of
// Read(Options{Override: override}). It is kept for callers that do not
// record sources.
func ID(override string) (string, error) {
	id, err := Read(Options{Override: override})
	return id.HardwareID, err
}

var errNoSource = errors.New("no machine identifier is readable")

// build hashes raw sources into an Identity. The first single-valued
// source is the primary one and gives the hardware id.
func build(raw []rawSource) (Identity, error) {
	var id Identity
	for _, r := range raw {
		var digs []string
		for _, v := range r.values {
			if v = strings.TrimSpace(v); v != "" {
				digs = append(digs, digest(r.name, v))
			}
		}
		if len(digs) == 0 {
			continue
		}
		slices.Sort(digs)
		digs = slices.Compact(digs)
		if len(digs) > MaxDigests {
			digs = digs[:MaxDigests]
		}
		if id.HardwareID == "" && r.name != SourceMACs {
			id.HardwareID = hardwareID(r.values[0])
		}
		id.Sources = append(id.Sources, Source{Name: r.name, Digests: digs})
	}
	if id.HardwareID == "" {
		return Identity{}, hresult.Wrap(hresult.Internal, errNoSource, "cannot read this machine's id").
			WithHint("set VOLACT_MACHINE_ID to a stable, unique value for this machine")
	}
	return id, nil
}

// hardwareID is the wire hardware id of a primary source value; it is the
// derivation volact has always used, so ids do not change.
func hardwareID(raw string) string {
	sum := sha256.Sum256([]byte("volact hardware id v1\x00" + strings.TrimSpace(raw)))
	return hex.EncodeToString(sum[:16])
}

// digest is the hash of one value of source name.
func digest(name, value string) string {
	sum := sha256.Sum256([]byte("volact machine source v1\x00" + name + "\x00" + value))
	return hex.EncodeToString(sum[:16])
}

// IsDigest reports whether d has the form of a source digest: 32
// lower-case hex characters.
func IsDigest(d string) bool {
	if len(d) != 32 {
		return false
	}
	for i := 0; i < len(d); i++ {
		if c := d[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
