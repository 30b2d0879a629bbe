package protocol

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/machineid"
)

// Version is the protocol version clients send in requests.
const Version = 1

// Activation kinds.
const (
	KindMAK = "mak" // online (or proxy) activation with a MAK key
	KindKMS = "kms" // activation against a KMS host
)

// ActivationRequest asks a KMS host (kind "kms") or the activation service
// (kind "mak") to activate one product on one machine.
type ActivationRequest struct {
	Version    int       `json:"version"`
	Kind       string    `json:"kind"`
	SKU        string    `json:"sku"`
	Key        string    `json:"key,omitempty"` // MAK key; empty for kms
	HardwareID string    `json:"hardware_id"`
	CMID       string    `json:"cmid,omitempty"`
	ClientTime time.Time `json:"client_time"`
	Nonce      string    `json:"nonce"`
	Group      string    `json:"group,omitempty"` // counted group; kms only
	// State is the client's local licensing state for this product, so
	// that a server can see a store that went backwards (see
	// [ClientState]). Optional: older clients do not send it.
	State *ClientState `json:"state,omitempty"`
	// KnownTrees are the sizes of the transparency logs the client holds a
	// checkpoint of, by origin (at most MaxKnownTrees). A server whose log
	// is among them answers with a Consistency proof from that size.
	// Optional: older clients do not send it.
	KnownTrees map[string]int64 `json:"known_trees,omitempty"`
	// Sources are the digests of the machine's identity sources (package
	// machineid) that Nonce commits to. The activation service records
	// them with a MAK activation, so that a machine that shares the
	// hardware id but not the hardware (a cloned VM) spends an activation
	// of its own. Optional: clients without sources send none.
	Sources []machineid.Source `json:"sources,omitempty"`
}

// Limits on ActivationRequest.Sources.
const (
	MaxSources       = 16                   // sources per request
	MaxSourceDigests = machineid.MaxDigests // digests per source (one per MAC for "macs")
)

// ClientState is what a client reports about its local state in an
// activation request (KMS, MAK and the proxy installation request). The
// store that holds it can be edited or reset by the machine's owner, so
// servers never refuse on it: they keep the highest values seen per
// machine and record a rearm count lower than seen, or a grace start later
// than seen with the same rearm count, as a state_reset event.
type ClientState struct {
	GraceStart  time.Time `json:"grace_start,omitzero"`  // start of the running grace
	RearmCount  int       `json:"rearm_count"`           // rearms used
	TrustedTime time.Time `json:"trusted_time,omitzero"` // trusted-time high-water mark
}

// InstallationRequest is the proxy (offline) form of a MAK activation
// request: an ActivationRequest of kind "mak", carried as text.
type InstallationRequest = ActivationRequest

// Validate checks the fields a host or service needs before looking at the
// request. Failures are hresult.BadRequest.
func (r ActivationRequest) Validate() error {
	switch {
	case r.Version != Version:
		return badRequest("activation request has protocol version %d (want %d)", r.Version, Version)
	case r.Kind != KindMAK && r.Kind != KindKMS:
		return badRequest("activation request has unknown kind %q (want mak or kms)", r.Kind)
	case r.SKU == "":
		return badRequest("activation request names no SKU")
	case r.HardwareID == "":
		return badRequest("activation request has no hardware id")
	case r.Nonce == "":
		return badRequest("activation request has no nonce")
	case r.ClientTime.IsZero():
		return badRequest("activation request has no client time")
	case r.Kind == KindMAK && r.Key == "":
		return badRequest("MAK activation request carries no product key")
	case r.Kind == KindKMS && r.CMID == "":
		return badRequest("KMS activation request has no client machine id (CMID)")
	case len(r.KnownTrees) > MaxKnownTrees:
		return badRequest("activation request names %d logs (limit %d)", len(r.KnownTrees), MaxKnownTrees)
	}
	for _, n := range r.KnownTrees {
		if n < 0 {
			return badRequest("activation request names a log of negative size")
		}
	}
	return r.validateSources()
}

// validateSources checks the request's identity sources: bounded, well
// formed, and committed to by the nonce (the grant echoes the nonce, so
// the sources the service records are the ones the client records).
func (r ActivationRequest) validateSources() error {
	if len(r.Sources) == 0 {
		return nil
	}
	if len(r.Sources) > MaxSources {
		return badRequest("activation request has %d identity sources (limit %d)", len(r.Sources), MaxSources)
	}
	for i, s := range r.Sources {
		if len(s.Name) == 0 || len(s.Name) > 32 || len(s.Digests) == 0 || len(s.Digests) > MaxSourceDigests {
			return badRequest("activation request has a malformed identity source")
		}
		// Each name once: a source listed twice would count twice when
		// the service matches a later request against the record.
		if slices.ContainsFunc(r.Sources[:i], func(o machineid.Source) bool { return o.Name == s.Name }) {
			return badRequest("activation request names identity source %q twice", s.Name)
		}
		for _, d := range s.Digests {
			if !machineid.IsDigest(d) {
				return badRequest("activation request has a malformed identity source digest")
			}
		}
	}
	id := machineid.Identity{HardwareID: r.HardwareID, Sources: r.Sources}
	if !id.Committed(r.Nonce) {
		return badRequest("activation request's identity sources are not the ones its nonce commits to")
	}
	return nil
}

// Grant is the payload of a successful activation answer.
type Grant struct {
	Kind               string    `json:"kind"`
	SKU                string    `json:"sku"`
	HardwareID         string    `json:"hardware_id"`
	CMID               string    `json:"cmid,omitempty"`
	IssuedAt           time.Time `json:"issued_at"`
	ExpiresAt          time.Time `json:"expires_at,omitzero"`                   // zero for mak
	ActivationInterval int       `json:"activation_interval_minutes,omitempty"` // kms
	RenewalInterval    int       `json:"renewal_interval_minutes,omitempty"`    // kms
	CurrentCount       int       `json:"current_count,omitempty"`               // kms
	Group              string    `json:"group,omitempty"`                       // kms: the counted group
	Issuer             string    `json:"issuer"`                                // host name or "service"
	KeyLast5           string    `json:"key_last5,omitempty"`
	Nonce              string    `json:"nonce"`
	// Instance tells apart, for a MAK grant, machines that activated the
	// key with the same hardware id but other hardware (see
	// ActivationRequest.Sources): 2, 3, ... for the second and later; 0
	// for the first.
	Instance int `json:"instance,omitempty"`
}

// HostActivationRequest asks the activation service to certify a KMS host
// key pair under an installed KMS host key.
type HostActivationRequest struct {
	Version    int       `json:"version"`
	HostKey    string    `json:"host_key"`
	HostID     string    `json:"host_id"`
	PublicKey  []byte    `json:"public_key"`
	ClientTime time.Time `json:"client_time"`
	Nonce      string    `json:"nonce"`
}

// Validate checks a host activation request. Failures are hresult.BadRequest.
func (r HostActivationRequest) Validate() error {
	switch {
	case r.Version != Version:
		return badRequest("host activation request has protocol version %d (want %d)", r.Version, Version)
	case r.HostKey == "":
		return badRequest("host activation request carries no KMS host key")
	case r.HostID == "":
		return badRequest("host activation request has no host id")
	case len(r.PublicKey) != ed25519.PublicKeySize:
		return badRequest("host activation request does not carry an Ed25519 public key")
	case r.Nonce == "":
		return badRequest("host activation request has no nonce")
	case r.ClientTime.IsZero():
		return badRequest("host activation request has no client time")
	}
	return nil
}

// HostGrant is the payload of the service's answer to a host activation:
// the host's certificate (role kms-host) for the groups it may serve.
type HostGrant struct {
	HostID      string    `json:"host_id"`
	Groups      []string  `json:"groups"`
	Certificate string    `json:"certificate"`
	IssuedAt    time.Time `json:"issued_at"`
}

// NewNonce returns a fresh random nonce (128 bits, base64url).
func NewNonce() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ErrorResponse is the body of every failed HTTP answer.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody carries the error code as text ("0xC004C020"), a one-line
// message, an optional hint and, for KMS count errors, the host's count.
type ErrorBody struct {
	Code         string `json:"code"`
	Message      string `json:"message"`
	Hint         string `json:"hint,omitempty"`
	CurrentCount *int   `json:"current_count,omitempty"`
}

// ErrorFrom builds the wire form of err. Internal errors are reported
// without their cause, which stays in the server's log.
func ErrorFrom(err error) ErrorResponse {
	e := hresult.From(err)
	if e == nil || e.Code == hresult.Internal {
		return ErrorResponse{Error: ErrorBody{Code: hresult.Internal.String(), Message: "internal error"}}
	}
	body := ErrorBody{Code: e.Code.String(), Message: e.Error(), Hint: e.Hint}
	if e.CurrentCount >= 0 {
		n := e.CurrentCount
		body.CurrentCount = &n
	}
	return ErrorResponse{Error: body}
}

// Err turns a received error answer back into an *hresult.Error whose exit
// status is the code's default. Text from the peer is cut to one line.
func (e ErrorResponse) Err() *hresult.Error {
	code, err := parseWireCode(e.Error.Code)
	if err != nil || code == hresult.OK {
		return hresult.Newf(hresult.ServiceFailure, "the server sent an unreadable error code %q", oneLine(e.Error.Code))
	}
	out := hresult.New(code, oneLine(e.Error.Message))
	if e.Error.Hint != "" {
		out.Hint = oneLine(e.Error.Hint)
	}
	if e.Error.CurrentCount != nil {
		out.CurrentCount = *e.Error.CurrentCount
	}
	return out
}

// parseWireCode accepts exactly the form ErrorFrom writes: 0x and 8 hex digits.
func parseWireCode(s string) (hresult.Code, error) {
	if len(s) != 10 || !strings.HasPrefix(s, "0x") || strings.Trim(s[2:], "0123456789abcdefABCDEF") != "" {
		return 0, fmt.Errorf("%q is not an error code", s)
	}
	return hresult.Parse(s)
}

// oneLine makes peer-supplied text safe to print: control characters become
// spaces and the result is capped at 300 bytes.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
	if len(s) > 300 {
		s = strings.ToValidUTF8(s[:300], "") + "..."
	}
	return strings.TrimSpace(s)
}

func badRequest(format string, args ...any) *hresult.Error {
	return hresult.Newf(hresult.BadRequest, format, args...)
}
