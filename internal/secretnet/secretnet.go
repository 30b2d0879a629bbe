// Package secretnet decides whether a secret (a MAK or retail key in an
// activation or installation request, an admin token) may be sent to a
// URL. Over https it may. Over plain http only to an address on this
// machine or a private network: loopback, RFC 1918, RFC 4193 (fc00::/7)
// and link-local, as the service itself refuses to serve plain HTTP
// elsewhere; else only when the user said --allow-http (behind a TLS
// proxy, say). A host name is resolved and every address must qualify.
package secretnet

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/termsafe"
)

// Lookup resolves a host name to its addresses; nil means the system
// resolver.
type Lookup func(ctx context.Context, host string) ([]netip.Addr, error)

// Local reports whether a is loopback, private (RFC 1918, RFC 4193) or
// link-local: an address plain HTTP may carry a secret to.
func Local(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast()
}

// Check returns nil when what (e.g. "the MAK") may be sent to rawURL:
// https, or http with allowHTTP, or http to a host whose addresses are all
// Local. Otherwise it fails with exit 3 before anything is contacted (a
// name is only looked up); a name that does not resolve is exit 4.
func Check(ctx context.Context, rawURL, what string, allowHTTP bool, lookup Lookup) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return hresult.Newf(hresult.InvalidArg, "service URL %s is not a URL", termsafe.String(rawURL)).WithExit(hresult.ExitInvalid)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
	default:
		return hresult.Newf(hresult.InvalidArg, "service URL %s: want http:// or https://", termsafe.String(rawURL)).WithExit(hresult.ExitInvalid)
	}
	if allowHTTP {
		return nil
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		if lookup == nil {
			lookup = func(ctx context.Context, h string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", h)
			}
		}
		if addrs, err = lookup(ctx, host); err == nil && len(addrs) == 0 {
			err = errors.New("no address")
		}
		if err != nil {
			return hresult.Wrap(hresult.NoHost, err, "cannot resolve "+termsafe.String(host))
		}
	}
	for _, a := range addrs {
		if !Local(a) {
			return hresult.Newf(hresult.InvalidArg, "refusing to send %s over plain HTTP to %s (%s is not a loopback, private or link-local address): use https:// or pass --allow-http",
				what, termsafe.String(u.Host), a).WithExit(hresult.ExitInvalid)
		}
	}
	return nil
}

// Client returns a copy of hc (nil: a new client) whose redirects are
// checked like the first URL: a 307 or 308 re-sends the request body, so
// a redirect from https to plain http on a public address would leak it.
func Client(hc *http.Client, what string, allowHTTP bool) *http.Client {
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	prev := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := Check(req.Context(), req.URL.String(), what, allowHTTP, nil); err != nil {
			return err
		}
		if prev != nil {
			return prev(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return c
}
