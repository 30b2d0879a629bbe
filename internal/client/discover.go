package client

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/volact/volact/internal/discovery"
	"github.com/volact/volact/internal/httpjson"
)

// ProbeTimeout bounds the reachability probe of one host address.
const ProbeTimeout = 2 * time.Second

// DiscoveredHost is a KMS host published in DNS, with the result of a
// /healthz probe.
type DiscoveredHost struct {
	discovery.Host
	Addresses []string `json:"addresses"`
	Reachable bool     `json:"reachable"`
	Groups    []string `json:"groups,omitempty"` // groups the host says it serves
	Error     string   `json:"error,omitempty"`  // why not reachable
}

// Discover lists the KMS hosts published as _vlmcs._tcp SRV records in
// domain (or, when empty, the domain set with setdomain or the system's
// search list), in the order a client tries them, and probes each. It reads
// the store only for the domain and writes nothing.
func (c *Client) Discover(ctx context.Context, domain string) ([]DiscoveredHost, error) {
	var set Settings
	if domain != "" {
		set.Domain = domain
	} else if s, err := c.Settings(); err == nil {
		set.Domain = s.Domain
	}
	res := discovery.NewResolver(c.opts.DNSServer)
	cfg := c.discoveryConfig(Settings{Domain: set.Domain}, res)
	hosts, err := discovery.LookupHosts(ctx, cfg)
	if err != nil {
		return nil, err
	}
	out := make([]DiscoveredHost, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = c.probe(ctx, res, h)
		}()
	}
	wg.Wait()
	return out, nil
}

// probe resolves h and asks each address for /healthz until one answers.
func (c *Client) probe(ctx context.Context, res discovery.Resolver, h discovery.Host) DiscoveredHost {
	d := DiscoveredHost{Host: h, Addresses: []string{}}
	rctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	addrs, err := res.LookupAddrs(rctx, h.Name)
	cancel()
	if err != nil {
		d.Error = "cannot resolve: " + err.Error()
		return d
	}
	d.Addresses = addrs
	hc := &http.Client{Timeout: ProbeTimeout}
	for _, a := range addrs {
		pctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
		req, _ := http.NewRequestWithContext(pctx, http.MethodGet, "http://"+net.JoinHostPort(a, strconv.Itoa(h.Port))+"/healthz", nil)
		resp, err := hc.Do(req)
		if err != nil {
			cancel()
			d.Error = httpjson.Unreachable(req.URL.String(), err).Msg
			continue
		}
		var body struct {
			Groups []string `json:"groups"`
		}
		_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
		resp.Body.Close()
		cancel()
		if resp.StatusCode != http.StatusOK {
			d.Error = req.URL.Host + " answered " + resp.Status
			continue
		}
		d.Reachable, d.Groups, d.Error = true, body.Groups, ""
		return d
	}
	return d
}
