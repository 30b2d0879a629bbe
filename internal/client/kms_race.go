package client

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/discovery"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/machineid"
	"github.com/volact/volact/internal/protocol"
)

// KMSSearchTimeout bounds one product's whole search for a KMS host: the
// address lookups and every attempt of every tier. Each attempt is also
// bounded by DefaultTimeout.
const KMSSearchTimeout = 20 * time.Second

// hostTry is what one attempt at one address of one host gave.
type hostTry struct {
	host     discovery.Host
	label    string // host:port, with the address when it is not the name
	grant    protocol.Grant
	env      *protocol.Envelope
	hardware *machineid.Identity
	err      *hresult.Error // nil = activated
	// cancelled: the attempt had not answered when another host did.
	cancelled bool
}

// final says whether the attempt ends the search: the host activated the
// machine, or answered that it counts too few clients.
func (t *hostTry) final() bool { return t.err == nil || t.err.Code == hresult.CountTooLow }

// askHosts asks the KMS hosts of a plan for req, tier by tier
// (discovery.Tiers: the hosts of one SRV priority, a cached host leading
// the first). Within a tier every address of every host is tried in turn,
// staggered (discovery.Stagger): the next attempt starts when the previous
// one failed or has not answered within discovery.DefaultStagger. The first
// host that activates the machine or counts too few clients ends the
// search and the attempts still running are cancelled; a tier whose
// attempts all fail passes on to the next. Every attempt is listed in
// out.attempts in the order it started.
func (c *Client) askHosts(ctx context.Context, res discovery.Resolver, hosts []discovery.Host, req protocol.ActivationRequest,
	cat *catalog.Catalog, group catalog.Group, next string, out outcome) outcome {
	ctx, cancel := context.WithTimeout(ctx, KMSSearchTimeout)
	defer cancel()
	var answered *hresult.Error // the last refusal of a host that answered
	for _, tier := range discovery.Tiers(hosts) {
		tries, winner := c.raceTier(ctx, res, tier, req, cat, group)
		for _, t := range tries {
			result := "activated (count " + strconv.Itoa(t.grant.CurrentCount) + ")"
			switch {
			case t.cancelled:
				result = "no answer, cancelled when another host answered"
			case t.err != nil:
				result = describe(t.err, group)
			}
			out.attempts = append(out.attempts, Attempt{Host: t.label, Source: t.host.Source, Result: result})
		}
		if winner == nil {
			for _, t := range tries {
				if t.err.Code != hresult.NoHost {
					answered = t.err
				}
			}
			continue
		}
		h := winner.host
		if winner.err == nil {
			g := winner.grant
			out.env, out.grant, out.hardware, out.host, out.source, out.count = winner.env, g, winner.hardware, h.String(), h.Source, g.CurrentCount
			out.intervals = intervalsOf(g)
			return out
		}
		n := winner.err.CurrentCount
		out.host, out.source, out.count = h.String(), h.Source, n
		low := hresult.Newf(hresult.CountTooLow, "KMS host %s: count %d of %d needed for group %s", h, n, group.Threshold, group.Name).
			WithHint("this machine stays in grace and retries at " + next + " (volact act --if-due); more clients must ask the host before it activates any")
		low.CurrentCount = n
		out.err = low
		return out
	}
	tried := make([]string, len(out.attempts))
	for i, a := range out.attempts {
		tried[i] = a.Host + " (" + a.Result + ")"
	}
	if answered != nil {
		e := hresult.Newf(answered.Code, "no KMS host activated %s: %s", req.SKU, strings.Join(tried, "; "))
		e.Hint = answered.Hint
		if e.Hint == "" {
			e.Hint = "the next attempt is at " + next
		}
		out.err = e
		return out
	}
	out.err = hresult.Newf(hresult.NoHost, "no KMS host could be reached: %s", strings.Join(tried, "; ")).
		WithHint("this machine stays in grace and retries at " + next + " (volact act --if-due); check that the hosts run and are reachable, and the _vlmcs._tcp SRV records (volact discover)")
	return out
}

// raceTier races the addresses of one tier's hosts and returns every
// attempt in start order and the one that ended the race (nil = none).
// Attempts cancelled because another host answered say so.
func (c *Client) raceTier(ctx context.Context, res discovery.Resolver, tier []discovery.Host, req protocol.ActivationRequest,
	cat *catalog.Catalog, group catalog.Group) ([]*hostTry, *hostTry) {
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	var mu sync.Mutex
	tries := map[int]*hostTry{}
	try := func(actx context.Context, i int, cand discovery.Candidate) bool {
		t := &hostTry{host: cand.Host, label: cand.Host.String()}
		if cand.Err != nil {
			t.err = hresult.New(hresult.NoHost, "cannot resolve the name: "+cand.Err.Error())
		} else {
			if cand.Addr != cand.Host.Name {
				t.label += " [" + cand.Addr + "]"
			}
			t.err = c.askAddr(actx, t, net.JoinHostPort(cand.Addr, strconv.Itoa(cand.Host.Port)), req, cat, group)
		}
		mu.Lock()
		tries[i] = t
		mu.Unlock()
		return t.final()
	}
	stagger := c.opts.Stagger
	won, cancelled := stagger.Race(cctx, discovery.Candidates(cctx, res, tier, DefaultTimeout), try)
	out := make([]*hostTry, len(tries))
	for i, t := range tries {
		out[i] = t
	}
	for _, i := range cancelled {
		out[i].cancelled = true
	}
	if won < 0 {
		return out, nil
	}
	return out, out[won]
}

// askAddr asks one address and fills t with the verified grant; it
// returns why the machine is not activated, or nil.
func (c *Client) askAddr(ctx context.Context, t *hostTry, addr string, req protocol.ActivationRequest, cat *catalog.Catalog, group catalog.Group) *hresult.Error {
	g, env, err := c.askHost(ctx, addr, req, cat, group)
	if err == nil {
		t.hardware, err = c.hardwareOf(g)
	}
	if err != nil {
		return hresult.From(err)
	}
	t.grant, t.env = g, env
	return nil
}
