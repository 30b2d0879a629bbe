package client

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/discovery"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpjson"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/protocol"
)

// activateKMS activates a KMS client key against a KMS host found by
// discovery: the pinned host alone, else the cached host and then the SRV
// hosts in RFC 2782 order, staggered within one priority (askHosts), with
// at most DefaultTimeout per try. A host that counts too few clients ends
// the search (it answered); any other failure moves on to the next host.
// Every host tried is listed in outcome.attempts with what it answered.
//
// The request carries the system time, not the trusted time: the host
// checks it against its own clock (4 hours), and a trusted time that runs
// ahead after a clock mistake must not keep the client from activating
// (see license.Clock). It also carries the client's state (cs).
func (c *Client) activateKMS(ctx context.Context, p Installed, prod catalog.Product, set Settings, now time.Time, cs *protocol.ClientState) outcome {
	out := outcome{count: -1}
	next := now.Add(time.Duration(p.EffectiveIntervals().Activation) * time.Minute).UTC().Format(time.RFC3339)
	cat, err := c.Catalog()
	if err != nil {
		out.err = err
		return out
	}
	res := discovery.NewResolver(c.opts.DNSServer)
	hosts, err := discovery.Plan(ctx, c.discoveryConfig(set, res))
	if err != nil {
		out.err = withNext(err, next)
		return out
	}
	nonce, err := c.nonce()
	if err != nil {
		out.err = hresult.Wrap(hresult.Internal, err, "cannot make a nonce")
		return out
	}
	group, _ := cat.Group(prod.Group)
	req := protocol.ActivationRequest{Version: protocol.Version, Kind: protocol.KindKMS, SKU: prod.SKU, Group: group.Name,
		HardwareID: c.opts.HardwareID, CMID: p.CMID, ClientTime: c.opts.Now().UTC(), Nonce: nonce, State: cs,
		KnownTrees: c.knownTrees}
	return c.askHosts(ctx, res, hosts, req, cat, group, next, out)
}

// discoveryConfig turns the client settings into where to look.
func (c *Client) discoveryConfig(set Settings, res discovery.Resolver) discovery.Config {
	cfg := discovery.Config{PinnedHost: set.KMSHost, PinnedPort: set.KMSPort, Resolver: res}
	if !set.HostCachingDisabled {
		cfg.CachedHost = set.CachedHost
	}
	if set.Domain != "" {
		cfg.Domains = []string{set.Domain}
	} else {
		cfg.Domains = discovery.SystemDomains()
	}
	return cfg
}

// askHost sends req to one host address and verifies the grant: signed by a
// KMS host certificate from the pinned root that covers the group, for this
// machine, CMID, SKU and request, and within what a KMS host may sign
// (checkReceived).
func (c *Client) askHost(ctx context.Context, addr string, req protocol.ActivationRequest, cat *catalog.Catalog, group catalog.Group) (protocol.Grant, *protocol.Envelope, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	var g protocol.Grant
	env, cert, err := httpjson.Call(ctx, c.httpClient(), "http://"+addr+"/v1/kms/activate", req, cat.Root(), req.ClientTime, &g)
	if err != nil {
		return g, nil, err
	}
	switch {
	case cert.Role != protocol.RoleKMSHost:
		return g, nil, hresult.Newf(hresult.BadSignature, "the answer is signed by a %q certificate, not a KMS host's", cert.Role)
	case !slices.ContainsFunc(cert.Groups, func(s string) bool { return strings.EqualFold(s, group.Name) }):
		return g, nil, hresult.Newf(hresult.BadSignature, "the host's certificate does not cover group %s", group.Name)
	case g.Kind != protocol.KindKMS || g.SKU != req.SKU:
		return g, nil, hresult.Newf(hresult.WrongMachine, "the grant is a %s grant for %s, not kms for %s", g.Kind, g.SKU, req.SKU)
	case g.HardwareID != req.HardwareID || g.CMID != req.CMID:
		return g, nil, hresult.New(hresult.WrongMachine, "the grant is for another machine")
	case g.Nonce != req.Nonce:
		return g, nil, hresult.New(hresult.WrongMachine, "the grant answers another request (nonce differs)")
	}
	if err := checkReceived(g, cert, cat, req.ClientTime); err != nil {
		return g, nil, err
	}
	return g, env, nil
}

// intervalsOf returns the host's intervals from a grant, or nil (keep the
// current ones) when they are missing or out of range.
func intervalsOf(g protocol.Grant) *license.Intervals {
	if license.ValidateInterval("activation interval", g.ActivationInterval) != nil ||
		license.ValidateInterval("renewal interval", g.RenewalInterval) != nil {
		return nil
	}
	return &license.Intervals{Activation: g.ActivationInterval, Renewal: g.RenewalInterval}
}

// describe says in a few words what one host answered.
func describe(e *hresult.Error, g catalog.Group) string {
	switch e.Code {
	case hresult.CountTooLow:
		return fmt.Sprintf("count %d of %d needed", e.CurrentCount, g.Threshold)
	case hresult.ClockSkew:
		return "clock skew: " + e.Msg
	case hresult.NoHost:
		switch m := e.Msg; {
		case strings.Contains(m, "connection refused"):
			return "refused connection"
		case strings.Contains(m, "timed out"):
			return "timeout"
		default:
			return "unreachable: " + m
		}
	}
	return e.Code.String() + " " + e.Msg
}

// withNext adds when the next attempt is to a discovery failure's hint.
func withNext(err error, next string) error {
	e := hresult.From(err)
	if e.Code == hresult.NoSRV || e.Code == hresult.NoHost {
		e.Hint = strings.TrimSpace(e.Hint + "; this machine stays in grace and retries at " + next)
	}
	return e
}
