// Package hostname validates the host names and addresses volact accepts
// from users (sethst, setdomain) and from DNS (SRV targets): RFC 1123 host
// names, IPv4 and IPv6 literals (IPv6 in brackets when a port follows) and
// an optional port 1..65535. Anything else, control characters and shell
// or URL syntax included, is refused, so a name that passed can be stored,
// dialled and printed as it is.
package hostname

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// Limits of RFC 1035 §2.3.4 (names without the trailing dot).
const (
	maxName  = 253
	maxLabel = 63
)

// Errors Parse and friends wrap, for callers that branch on the kind.
var (
	ErrEmpty = errors.New("empty")
	ErrName  = errors.New("not a valid host name or IP address")
	ErrPort  = errors.New("port is not a number from 1 to 65535")
)

// ValidName reports whether s is an RFC 1123 host name: dot-separated
// labels of letters, digits and hyphens, 1..63 characters each, not
// starting or ending with a hyphen, 253 characters at most, with an
// optional trailing dot. A name whose last label is all digits is refused
// (RFC 3696 §2: no top-level domain is numeric), so that "1.2.3.999" is
// never taken for a name.
func ValidName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > maxName {
		return false
	}
	numeric := false
	for label := range strings.SplitSeq(s, ".") {
		if !validLabel(label) {
			return false
		}
		numeric = strings.Trim(label, "0123456789") == ""
	}
	return !numeric
}

func validLabel(l string) bool {
	if l == "" || len(l) > maxLabel || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidDomain reports whether s is a DNS domain volact may look SRV
// records up in: the same rules as ValidName.
func ValidDomain(s string) bool { return ValidName(s) }

// ValidHost reports whether s is a host name (ValidName) or an IP literal
// without brackets. An IPv6 zone (fe80::1%eth0) is accepted when the zone
// is letters, digits, '.', '-' or '_'.
func ValidHost(s string) bool {
	if ValidName(s) {
		return true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	if z := a.Zone(); z != "" {
		for i := 0; i < len(z); i++ {
			c := z[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// ParsePort reads a TCP port: 1 to 5 decimal digits, 1..65535 (no sign,
// no spaces).
func ParsePort(s string) (int, error) {
	if s == "" || len(s) > 5 || strings.Trim(s, "0123456789") != "" {
		return 0, ErrPort
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, ErrPort
	}
	return n, nil
}

// ParseHostPort reads HOST, HOST:PORT, IPv4, IPv4:PORT, IPv6, [IPv6] or
// [IPv6]:PORT, where HOST passes ValidHost and PORT ParsePort. Port 0
// means none was given. A trailing dot of a name is kept.
func ParseHostPort(s string) (host string, port int, err error) {
	if s == "" {
		return "", 0, ErrEmpty
	}
	host = s
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0, ErrName
		}
		host = s[1:end]
		rest := s[end+1:]
		if rest != "" {
			p, ok := strings.CutPrefix(rest, ":")
			if !ok {
				return "", 0, ErrName
			}
			if port, err = ParsePort(p); err != nil {
				return "", 0, err
			}
		}
		// Brackets hold an IPv6 literal only.
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return "", 0, ErrName
		}
	case strings.Count(s, ":") == 1:
		h, p, _ := strings.Cut(s, ":")
		if !ValidHost(h) {
			return "", 0, ErrName
		}
		if port, err = ParsePort(p); err != nil {
			return "", 0, err
		}
		host = h
	}
	if !ValidHost(host) {
		return "", 0, ErrName
	}
	return host, port, nil
}
