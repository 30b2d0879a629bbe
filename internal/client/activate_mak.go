package client

import (
	"context"
	"strings"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpjson"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/machineid"
	"github.com/volact/volact/internal/protocol"
)

// activateMAK activates a MAK or retail key against the activation service
// (POST /v1/activate). The answer is verified against the catalog root and
// must be a grant for this machine, this product and this request. Like a
// KMS request it carries the system time and the client's state (cs).
func (c *Client) activateMAK(ctx context.Context, p Installed, prod catalog.Product, cs *protocol.ClientState) outcome {
	now := c.opts.Now().UTC()
	if c.opts.ServiceURL == "" {
		return outcome{count: -1, err: hresult.New(hresult.NoHost, "no activation service is configured").
			WithHint("set --service URL or VOLACT_SERVICE")}
	}
	cat, err := c.Catalog()
	if err != nil {
		return outcome{count: -1, err: err}
	}
	req, err := c.makRequest(p, prod, now, cs)
	if err != nil {
		return outcome{count: -1, err: err}
	}
	var g protocol.Grant
	url := strings.TrimRight(c.opts.ServiceURL, "/") + "/v1/activate"
	hc, err := c.makClient(ctx, url)
	if err != nil {
		return outcome{count: -1, err: err}
	}
	env, cert, err := httpjson.Call(ctx, hc, url, req, cat.Root(), now, &g)
	if err != nil && len(req.Sources) > 0 && protocol.RefusesSources(err) {
		req.Sources = nil // a service older than sources, upgraded after its clients
		env, cert, err = httpjson.Call(ctx, hc, url, req, cat.Root(), now, &g)
	}
	if err == nil {
		err = c.checkMAKGrant(g, cert, p)
	}
	if err == nil && g.Nonce != req.Nonce {
		err = hresult.New(hresult.WrongMachine, "the service's answer is for another request (nonce differs)")
	}
	if err == nil {
		err = checkReceived(g, cert, cat, now)
	}
	var hw *machineid.Identity
	if err == nil {
		hw, err = c.hardwareOf(g)
	}
	if err != nil {
		return outcome{count: -1, err: err}
	}
	return outcome{env: env, grant: g, hardware: hw, count: -1}
}

// makRequest is the MAK activation request for an installed product. It
// carries the full key, which the service must see to check and count it,
// and this machine's identity sources, which it records so that a clone
// sharing the hardware id spends an activation of its own (a service
// older than sources refuses them, and activateMAK asks again without:
// protocol.RefusesSources).
func (c *Client) makRequest(p Installed, prod catalog.Product, now time.Time, cs *protocol.ClientState) (protocol.ActivationRequest, error) {
	if p.Key == "" {
		return protocol.ActivationRequest{}, hresult.Newf(hresult.KeyNotInstalled, "no product key is installed for %s", prod.SKU)
	}
	if p.Channel != license.MAK && p.Channel != license.Retail {
		return protocol.ActivationRequest{}, hresult.Newf(hresult.InvalidArg,
			"%s has a %s key: only MAK and retail keys activate against the activation service", prod.SKU, p.Channel).WithExit(hresult.ExitInvalid)
	}
	nonce, err := c.nonce()
	if err != nil {
		return protocol.ActivationRequest{}, hresult.Wrap(hresult.Internal, err, "cannot make a nonce")
	}
	var sources []machineid.Source
	if machineid.IsCommitment(nonce) {
		sources = c.identity().Sources
	}
	return protocol.ActivationRequest{
		Version: protocol.Version, Kind: protocol.KindMAK, SKU: prod.SKU, Key: p.Key,
		HardwareID: c.opts.HardwareID, CMID: p.CMID, ClientTime: now.UTC(), Nonce: nonce, State: cs,
		KnownTrees: c.knownTrees, Sources: sources,
	}, nil
}

// checkMAKGrant checks that a verified grant, signed under cert, activates
// product p on this machine: a MAK grant from the service for this
// hardware id, this SKU and the installed key. Anything else is
// hresult.WrongMachine (exit 3).
func (c *Client) checkMAKGrant(g protocol.Grant, cert *protocol.Certificate, p Installed) error {
	switch {
	case cert == nil || cert.Role != protocol.RoleService:
		return hresult.New(hresult.WrongMachine, "the grant was not signed by the activation service")
	case g.Kind != protocol.KindMAK:
		return hresult.Newf(hresult.WrongMachine, "the grant is a %q activation, not a MAK activation", g.Kind)
	case g.SKU != p.SKU:
		return hresult.Newf(hresult.WrongMachine, "the grant is for product %s, not %s", g.SKU, p.SKU)
	case g.HardwareID != c.opts.HardwareID:
		return hresult.New(hresult.WrongMachine, "the grant was issued for another machine (hardware id differs)").
			WithHint("a confirmation only activates the machine whose installation request it answers")
	case g.KeyLast5 != "" && p.PartialKey != "" && g.KeyLast5 != p.PartialKey:
		return hresult.Newf(hresult.WrongMachine, "the grant is for the key ending in %s, but the installed key ends in %s", g.KeyLast5, p.PartialKey).
			WithHint("install the key the grant was issued for, or activate the installed key")
	}
	return nil
}
