package client

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hostname"
)

// splitHostPort splits "host:port"; a missing or bad port gives the default.
func splitHostPort(hp string) (string, int) {
	h, p, err := net.SplitHostPort(hp)
	if err != nil {
		return strings.Trim(hp, "[]"), DefaultKMSPort
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return h, DefaultKMSPort
	}
	return h, n
}

// ParseHostPort reads HOST, HOST:PORT, IPv6, [IPv6] or [IPv6]:PORT, where
// HOST is an RFC 1123 name or an IP literal and PORT is 1..65535
// (hostname.ParseHostPort). Port 0 means none was given. Anything else
// (control characters, URLs, user@host) is refused with exit 3; the input
// is echoed with every non-printable character escaped.
func ParseHostPort(s string) (host string, port int, err error) {
	s = strings.TrimSpace(s)
	host, port, err = hostname.ParseHostPort(s)
	switch {
	case errors.Is(err, hostname.ErrEmpty):
		return "", 0, invalidArg("KMS host name is empty")
	case errors.Is(err, hostname.ErrPort):
		return "", 0, invalidArg("port " + strconv.QuoteToASCII(s[strings.LastIndexByte(s, ':')+1:]) + " is not a number from 1 to 65535")
	case err != nil:
		return "", 0, invalidArg("KMS host name " + strconv.QuoteToASCII(s) + " is not valid")
	}
	return host, port, nil
}

// ParseDomain reads the DNS domain of setdomain: an RFC 1123 name, a
// trailing dot dropped. Anything else is refused with exit 3.
func ParseDomain(s string) (string, error) {
	d := strings.TrimSuffix(strings.TrimSpace(s), ".")
	if !hostname.ValidDomain(d) {
		return "", invalidArg(strconv.QuoteToASCII(s) + " is not a DNS domain name")
	}
	return d, nil
}

// ParsePort reads a TCP port 1..65535.
func ParsePort(s string) (int, error) {
	n, err := hostname.ParsePort(strings.TrimSpace(s))
	if err != nil {
		return 0, invalidArg("port " + strconv.QuoteToASCII(s) + " is not a number from 1 to 65535")
	}
	return n, nil
}

// ParseBool reads TRUE/FALSE in any case, as /cachst:TRUE does.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on", "enable", "enabled":
		return true, nil
	case "false", "0", "no", "off", "disable", "disabled":
		return false, nil
	}
	return false, invalidArg("value " + strconv.Quote(s) + " is not TRUE or FALSE")
}

// Configure changes the KMS client settings with fn and saves them.
func (c *Client) Configure(fn func(*Settings) error) (Settings, error) {
	var out Settings
	err := c.update(func(st *State, _ *catalog.Catalog, _ time.Time) error {
		if err := fn(&st.Settings); err != nil {
			return err
		}
		out = st.Settings
		return nil
	})
	return out, err
}

// Settings returns the KMS client settings without changing anything.
func (c *Client) Settings() (Settings, error) {
	st, _, err := c.load()
	if err != nil {
		return Settings{}, err
	}
	return st.Settings, nil
}

// History returns the recorded attempts, oldest first.
func (c *Client) History() ([]HistoryEntry, error) {
	st, _, err := c.load()
	if err != nil {
		return nil, err
	}
	if st.History == nil {
		return []HistoryEntry{}, nil
	}
	return st.History, nil
}

// CMIDs returns each installed product's client machine id by SKU.
func (c *Client) CMIDs() (map[string]string, error) {
	st, _, err := c.load()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for sku, p := range st.Products {
		if p.CMID != "" {
			out[sku] = p.CMID
		}
	}
	return out, nil
}

// PinHost pins the KMS host arg (HOST, HOST:PORT, [IPv6]:PORT): sethst,
// slmgr /skms. A port given replaces the pinned one.
func (s *Settings) PinHost(arg string) error {
	h, p, err := ParseHostPort(arg)
	if err != nil {
		return err
	}
	s.KMSHost = h
	if p != 0 {
		s.KMSPort = p
	}
	return nil
}

// SetPort pins the KMS port arg: setprt.
func (s *Settings) SetPort(arg string) error {
	p, err := ParsePort(arg)
	if err != nil {
		return err
	}
	s.KMSPort = p
	return nil
}

// ClearHost removes the pinned host and port: remhst, slmgr /ckms.
func (s *Settings) ClearHost() { s.KMSHost, s.KMSPort = "", 0 }

// SetHostCaching turns host caching on or off (arg TRUE or FALSE, as
// /cachst:TRUE); turning it off forgets the cached host.
func (s *Settings) SetHostCaching(arg string) error {
	on, err := ParseBool(arg)
	if err != nil {
		return err
	}
	s.HostCachingDisabled = !on
	if !on {
		s.CachedHost = ""
	}
	return nil
}

// SetDomain sets the DNS domain whose _vlmcs._tcp records name the KMS
// hosts: setdomain, slmgr /skms-domain. A trailing dot is dropped.
func (s *Settings) SetDomain(arg string) error {
	d, err := ParseDomain(arg)
	if err != nil {
		return err
	}
	s.Domain = d
	return nil
}
