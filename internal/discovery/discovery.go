// Package discovery finds KMS hosts for a client (design §6): a pinned host
// wins (a pinned name with several addresses tries each); else the host that
// answered last (when caching is on), then the hosts published as DNS SRV
// records _vlmcs._tcp.<domain> in RFC 2782 priority and weight order, for
// the configured domain or the system's search list. Lookups can go to a
// chosen DNS server instead of the system resolver.
package discovery

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/volact/volact/internal/hostname"
	"github.com/volact/volact/internal/hresult"
)

// Sources of a host.
const (
	SourcePinned = "pinned"
	SourceCached = "cached"
	SourceSRV    = "srv"
)

// DefaultPort is the KMS port when none is given.
const DefaultPort = 1688

// Host is one KMS host to try.
type Host struct {
	Name     string `json:"host"`
	Port     int    `json:"port"`
	Source   string `json:"source"`
	Priority int    `json:"priority"`
	Weight   int    `json:"weight"`
	Domain   string `json:"domain,omitempty"` // the domain whose SRV records named it
}

// String is host:port, the form kept as the cached host.
func (h Host) String() string { return net.JoinHostPort(h.Name, strconv.Itoa(h.Port)) }

// Config says where to look.
type Config struct {
	PinnedHost string   // sethst; "" = none
	PinnedPort int      // setprt; 0 = DefaultPort
	CachedHost string   // host:port that answered last; "" = none or caching off
	Domains    []string // domains to look up _vlmcs._tcp in, in order
	Resolver   Resolver
	Intn       func(n int) int // random source for weights; nil = math/rand
	// Note receives one line about each SRV target or domain that was
	// skipped because it is not a valid host name (RFC 1123 or an IP
	// literal); nil = printed on stderr as "volact: note: ...".
	Note func(msg string)
}

// note reports a skipped record through c.Note or on stderr.
func (c Config) note(msg string) {
	if c.Note != nil {
		c.Note(msg)
		return
	}
	fmt.Fprintln(os.Stderr, "volact: note: "+msg)
}

// SRVName is the SRV name for domain.
func SRVName(domain string) string {
	return "_vlmcs._tcp." + strings.TrimSuffix(domain, ".")
}

// Plan returns the hosts to try, in order. Without a pinned host, a cached
// host or any SRV record it fails with hresult.NoSRV (0x8007232B).
func Plan(ctx context.Context, c Config) ([]Host, error) {
	if c.PinnedHost != "" {
		port := c.PinnedPort
		if port == 0 {
			port = DefaultPort
		}
		return []Host{{Name: c.PinnedHost, Port: port, Source: SourcePinned}}, nil
	}
	var out []Host
	seen := map[string]bool{}
	if c.CachedHost != "" {
		if h, p, err := net.SplitHostPort(c.CachedHost); err == nil {
			if port, err := strconv.Atoi(p); err == nil {
				out = append(out, Host{Name: h, Port: port, Source: SourceCached})
				seen[hostKey(h, port)] = true
			}
		}
	}
	srvs, err := LookupHosts(ctx, c)
	for _, h := range srvs {
		if !seen[hostKey(h.Name, h.Port)] {
			seen[hostKey(h.Name, h.Port)] = true
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		return nil, err
	}
	return out, nil
}

// LookupHosts returns the SRV hosts of the first domain in c.Domains that
// has any, in RFC 2782 order. None is hresult.NoSRV naming what was asked;
// no domain at all means nothing is configured: hresult.NoHost (0xC004F074).
func LookupHosts(ctx context.Context, c Config) ([]Host, error) {
	if len(c.Domains) == 0 {
		return nil, hresult.New(hresult.NoHost, "no KMS host is configured: none is pinned and no DNS domain is known to look up _vlmcs._tcp in").
			WithHint("pin a host with volact sethst HOST[:PORT], or set the domain with volact setdomain DOMAIN")
	}
	r := c.Resolver
	if r == nil {
		r = NewResolver("")
	}
	intn := c.Intn
	if intn == nil {
		intn = rand.IntN
	}
	var why []string
	for _, d := range c.Domains {
		if !hostname.ValidDomain(d) {
			why = append(why, "domain "+strconv.QuoteToASCII(d)+" skipped: not a valid DNS name")
			continue
		}
		srvs, err := r.LookupSRV(ctx, SRVName(d))
		switch {
		case err != nil && len(srvs) > 0:
			// Some records were dropped (the resolver refuses malformed
			// names); the others are usable.
			c.note("some SRV records of " + SRVName(d) + " were skipped: " + err.Error())
		case err != nil:
			if !errors.Is(err, ErrNotFound) {
				why = append(why, err.Error())
			}
			continue
		}
		var out []Host
		for _, s := range Order(srvs, intn) {
			if s.Target == "." || s.Target == "" { // "service not available here" (RFC 2782)
				continue
			}
			name := strings.TrimSuffix(s.Target, ".")
			if !hostname.ValidHost(name) || s.Port == 0 {
				msg := fmt.Sprintf("SRV target %s port %d of %s skipped: not a valid host name and port", strconv.QuoteToASCII(s.Target), s.Port, SRVName(d))
				c.note(msg)
				why = append(why, msg)
				continue
			}
			out = append(out, Host{Name: name, Port: int(s.Port), Source: SourceSRV,
				Priority: int(s.Priority), Weight: int(s.Weight), Domain: d})
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	names := make([]string, len(c.Domains))
	for i, d := range c.Domains {
		names[i] = SRVName(d)
		if !hostname.ValidDomain(d) {
			names[i] = strconv.QuoteToASCII(names[i])
		}
	}
	msg := "no SRV record " + strings.Join(names, ", ")
	if len(why) > 0 {
		msg += " (" + strings.Join(why, "; ") + ")"
	}
	return nil, hresult.New(hresult.NoSRV, msg).
		WithHint("publish the record that volactd kms status prints, or pin a host with volact sethst HOST[:PORT]")
}

func hostKey(name string, port int) string {
	return strings.ToLower(strings.TrimSuffix(name, ".")) + ":" + strconv.Itoa(port)
}

// Order sorts SRV records as RFC 2782 says: by ascending priority, and
// within one priority by a weighted random draw in which a record's chance
// to come next is its weight over the sum of the weights left (records of
// weight 0 have a small chance, when all are 0 they keep their order).
// intn(n) returns a random number in [0, n).
func Order(srvs []*net.SRV, intn func(int) int) []*net.SRV {
	in := append([]*net.SRV(nil), srvs...)
	sort.SliceStable(in, func(i, j int) bool { return in[i].Priority < in[j].Priority })
	out := make([]*net.SRV, 0, len(in))
	for i := 0; i < len(in); {
		j := i
		for j < len(in) && in[j].Priority == in[i].Priority {
			j++
		}
		out = append(out, byWeight(in[i:j], intn)...)
		i = j
	}
	return out
}

// byWeight orders one priority's records (RFC 2782 selection algorithm).
func byWeight(group []*net.SRV, intn func(int) int) []*net.SRV {
	left := make([]*net.SRV, 0, len(group))
	// Zero-weight records first, as the RFC says, then the others.
	for _, s := range group {
		if s.Weight == 0 {
			left = append(left, s)
		}
	}
	for _, s := range group {
		if s.Weight != 0 {
			left = append(left, s)
		}
	}
	out := make([]*net.SRV, 0, len(group))
	for len(left) > 0 {
		sum := 0
		for _, s := range left {
			sum += int(s.Weight)
		}
		pick := 0
		if sum > 0 {
			r := intn(sum + 1) // 0..sum
			run := 0
			for k, s := range left {
				run += int(s.Weight)
				if run >= r {
					pick = k
					break
				}
			}
		}
		out = append(out, left[pick])
		left = append(left[:pick], left[pick+1:]...)
	}
	return out
}

// SystemDomains is the system's DNS search list: the search and domain
// lines of /etc/resolv.conf, else the domain part of the host name.
func SystemDomains() []string {
	ds := ResolvConfDomains("/etc/resolv.conf")
	if len(ds) == 0 {
		if h, err := os.Hostname(); err == nil {
			if i := strings.IndexByte(h, '.'); i > 0 && i < len(h)-1 {
				ds = []string{h[i+1:]}
			}
		}
	}
	return ds
}

// ResolvConfDomains reads the search list of a resolv.conf file: the last
// search or domain line wins, as in resolv.conf(5).
func ResolvConfDomains(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") || strings.HasPrefix(fields[0], ";") {
			continue
		}
		if fields[0] == "search" || fields[0] == "domain" {
			out = nil
			for _, d := range fields[1:] {
				if d = strings.TrimSuffix(d, "."); d != "" {
					out = append(out, d)
				}
			}
		}
	}
	return out
}
