package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// ErrNotFound is returned (wrapped) by a Resolver when a name has no
// records of the asked type.
var ErrNotFound = errors.New("no such record")

// Resolver looks up SRV records and host addresses.
type Resolver interface {
	// LookupSRV returns the SRV records of the full name (such as
	// _vlmcs._tcp.example.com), in the order the server gave them.
	LookupSRV(ctx context.Context, name string) ([]*net.SRV, error)
	// LookupAddrs returns the IP addresses of host; an IP literal is
	// returned as it is.
	LookupAddrs(ctx context.Context, host string) ([]string, error)
}

// NewResolver returns a resolver that asks the DNS server at server
// (HOST:PORT; a missing port means 53), or the system resolver when server
// is empty.
func NewResolver(server string) Resolver {
	if server == "" {
		return systemResolver{}
	}
	if _, _, err := net.SplitHostPort(server); err != nil {
		server = net.JoinHostPort(strings.Trim(server, "[]"), "53")
	}
	return &dnsResolver{server: server, timeout: 2 * time.Second}
}

type systemResolver struct{}

func (systemResolver) LookupSRV(ctx context.Context, name string) ([]*net.SRV, error) {
	_, srvs, err := net.DefaultResolver.LookupSRV(ctx, "", "", name)
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound {
		return nil, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	return srvs, err
}

func (systemResolver) LookupAddrs(ctx context.Context, host string) ([]string, error) {
	if _, err := netip.ParseAddr(host); err == nil {
		return []string{host}, nil
	}
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound {
		return nil, fmt.Errorf("%s: %w", host, ErrNotFound)
	}
	return addrs, err
}

// dnsResolver asks one DNS server directly (tests, split-horizon sites).
type dnsResolver struct {
	server  string
	timeout time.Duration
}

func (r *dnsResolver) query(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	c := &dns.Client{Timeout: r.timeout}
	in, _, err := c.ExchangeContext(ctx, m, r.server)
	if err == nil && in.Truncated {
		c.Net = "tcp"
		in, _, err = c.ExchangeContext(ctx, m, r.server)
	}
	if err != nil {
		return nil, fmt.Errorf("DNS server %s: %w", r.server, err)
	}
	switch in.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return nil, fmt.Errorf("%s: %w", name, ErrNotFound)
	default:
		return nil, fmt.Errorf("DNS server %s answered %s for %s", r.server, dns.RcodeToString[in.Rcode], name)
	}
	return in.Answer, nil
}

func (r *dnsResolver) LookupSRV(ctx context.Context, name string) ([]*net.SRV, error) {
	rrs, err := r.query(ctx, name, dns.TypeSRV)
	if err != nil {
		return nil, err
	}
	var out []*net.SRV
	for _, rr := range rrs {
		if s, ok := rr.(*dns.SRV); ok {
			out = append(out, &net.SRV{Target: s.Target, Port: s.Port, Priority: s.Priority, Weight: s.Weight})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	return out, nil
}

func (r *dnsResolver) LookupAddrs(ctx context.Context, host string) ([]string, error) {
	if _, err := netip.ParseAddr(host); err == nil {
		return []string{host}, nil
	}
	var out []string
	var firstErr error
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		rrs, err := r.query(ctx, host, t)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		for _, rr := range rrs {
			switch a := rr.(type) {
			case *dns.A:
				out = append(out, a.A.String())
			case *dns.AAAA:
				out = append(out, a.AAAA.String())
			}
		}
	}
	if len(out) == 0 {
		if firstErr == nil {
			firstErr = fmt.Errorf("%s: %w", host, ErrNotFound)
		}
		return nil, firstErr
	}
	return out, nil
}
