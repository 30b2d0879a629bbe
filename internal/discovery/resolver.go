package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// ErrNotFound is returned (wrapped) by a Resolver when a name has no
// records of the asked type.
var ErrNotFound = errors.New("no such record")

// Resolver looks up SRV records and host addresses.
type Resolver interface {
	// LookupSRV returns the SRV records of the full name (such as
	// _vlmcs._tcp.example.com), in the order the server gave them. It may
	// return records and an error together: the records are usable, the
	// error says that others were dropped (malformed names).
	LookupSRV(ctx context.Context, name string) ([]*net.SRV, error)
	// LookupAddrs returns the IP addresses of host; an IP literal is
	// returned as it is.
	LookupAddrs(ctx context.Context, host string) ([]string, error)
}

// NewResolver returns a resolver that asks the DNS server at server
// (HOST:PORT; a missing port means 53), or the system resolver when server
// is empty. Both are the standard library's resolver: the client links no
// DNS library of its own.
func NewResolver(server string) Resolver {
	if server == "" {
		return netResolver{r: net.DefaultResolver}
	}
	if _, _, err := net.SplitHostPort(server); err != nil {
		server = net.JoinHostPort(strings.Trim(server, "[]"), "53")
	}
	const timeout = 2 * time.Second
	d := net.Dialer{Timeout: timeout}
	return netResolver{fqdn: true, timeout: 2 * timeout, r: &net.Resolver{
		PreferGo: true,
		// Every query goes to server (UDP, and TCP when an answer is
		// truncated), whatever /etc/resolv.conf says.
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, server)
		},
	}}
}

// netResolver looks names up with a net.Resolver. With fqdn, names are
// asked as they are, never with the system's search domains (a chosen
// server for tests and split-horizon sites).
type netResolver struct {
	r       *net.Resolver
	fqdn    bool
	timeout time.Duration
}

func (n netResolver) name(s string) string {
	if n.fqdn && !strings.HasSuffix(s, ".") {
		return s + "."
	}
	return s
}

func (n netResolver) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if n.timeout > 0 {
		return context.WithTimeout(ctx, n.timeout)
	}
	return context.WithCancel(ctx)
}

func (n netResolver) LookupSRV(ctx context.Context, name string) ([]*net.SRV, error) {
	ctx, cancel := n.ctx(ctx)
	defer cancel()
	_, srvs, err := n.r.LookupSRV(ctx, "", "", n.name(name))
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound || err == nil && len(srvs) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	// With malformed target names the standard library returns the valid
	// records and an error; both are passed on.
	return srvs, err
}

func (n netResolver) LookupAddrs(ctx context.Context, host string) ([]string, error) {
	if _, err := netip.ParseAddr(host); err == nil {
		return []string{host}, nil
	}
	ctx, cancel := n.ctx(ctx)
	defer cancel()
	addrs, err := n.r.LookupHost(ctx, n.name(host))
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound || err == nil && len(addrs) == 0 {
		return nil, fmt.Errorf("%s: %w", host, ErrNotFound)
	}
	return addrs, err
}
