package sim

import (
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/protocol"
)

// attempt is one activation attempt of machine i at now (act --if-due
// found it due): against the KMS hosts for a KMS client, against the
// activation service for a MAK.
func (s *Sim) attempt(p license.Product, i int, m *machine, k *kind, d int, now time.Time) license.Product {
	if k.channel == license.MAK {
		return s.attemptMAK(p, i, k, d, now)
	}
	return s.attemptKMS(p, i, m, k, d, now)
}

// attemptKMS is the client's discovery and the hosts' answer, as in
// internal/client: the cached host first, then the hosts of the SRV
// records. The records are the ones volactd kms status prints (priority 0,
// weight 0), which discovery.Order keeps in the DNS server's order; a
// round-robin DNS server rotates that order per answer, so a lookup is a
// rotation that starts at a random host. A host that is down
// is skipped; the first host up that serves the group answers, whether it
// activates or counts too few clients. A DNS outage finds no host (even
// the cached one's name does not resolve).
func (s *Sim) attemptKMS(p license.Product, i int, m *machine, k *kind, d int, now time.Time) license.Product {
	n := len(s.hosts)
	if n == 0 || s.dnsDown[d] {
		return license.RecordFailure(p, uint32(hresult.NoHost), now, nil)
	}
	group := s.prods[k.prod].group
	first := int(s.hash(uint64(i), uint64(d), saltHosts) % uint64(n))
	for try := -1; try < n; try++ {
		h := (first + try) % n
		if try < 0 {
			if m.cached == 0 {
				continue
			}
			h = int(m.cached) - 1
		} else if m.cached != 0 && h == int(m.cached)-1 {
			continue // tried first
		}
		hs := &s.hosts[h]
		ci := hs.counts[group]
		if hs.down[d] || ci < 0 {
			continue
		}
		s.load.request(h, s.second(i, d, k))
		c := s.counts[ci].c
		count, _ := c.Observe(cmid(i, m.gen), now)
		if !c.Activates(count) {
			return license.RecordFailure(p, uint32(hresult.CountTooLow), now, nil)
		}
		req := protocol.ActivationRequest{Kind: protocol.KindKMS, SKU: p.SKU, HardwareID: hwid}
		g := kms.GrantFor(req, now, s.prods[k.prod].validity, s.settings, count, hs.name)
		m.cached = uint8(h + 1)
		return license.ApplyGrant(p, license.Grant{Kind: g.Kind, ActivatedAt: g.IssuedAt, ExpiresAt: g.ExpiresAt, HardwareID: g.HardwareID},
			&license.Intervals{Activation: g.ActivationInterval, Renewal: g.RenewalInterval}, now)
	}
	return license.RecordFailure(p, uint32(hresult.NoHost), now, nil)
}

// attemptMAK is the activation service's answer, by the ledger's rule
// (license.DecideMAK): the same hardware is activated again for nothing (a
// reimage), a new one spends one activation, none left is 0xC004C020.
// Simulated keys are never blocked.
func (s *Sim) attemptMAK(p license.Product, i int, k *kind, d int, now time.Time) license.Product {
	if s.svcDown[d] {
		return license.RecordFailure(p, uint32(hresult.NoHost), now, nil)
	}
	s.load.request(len(s.hosts), s.second(i, d, k))
	key := &s.keys[k.makKey]
	word, bit := i/64, uint64(1)<<(i%64)
	switch license.DecideMAK(false, key.used[word]&bit != 0, key.limit-key.remaining, key.limit) {
	case license.MAKExhausted:
		key.refused++
		if key.firstRefused < 0 {
			key.firstRefused = d
		}
		return license.RecordFailure(p, uint32(hresult.KeyExhausted), now, nil)
	case license.MAKSpend:
		key.remaining--
		key.used[word] |= bit
		if key.remaining == 0 {
			key.exhausted = d
		}
	}
	return license.ApplyGrant(p, license.Grant{Kind: license.GrantMAK, ActivatedAt: now, HardwareID: hwid}, nil, now)
}

// second is the second of day d at which machine i's request arrives: its
// kind's time plus a seeded spread.
func (s *Sim) second(i, d int, k *kind) int {
	sec := k.atMinute * 60
	if k.Spread > 0 {
		sec += int(s.hash(uint64(i), uint64(d), saltSpread) % uint64(k.Spread*60))
	}
	return min(sec, 86399)
}

// loadMeter counts the requests each host (and, last, the activation
// service) gets in each second of the current day.
type loadMeter struct {
	perSecond [][]uint32
	peak      []int
	total     []int
}

func newLoadMeter(n int) loadMeter {
	l := loadMeter{perSecond: make([][]uint32, n), peak: make([]int, n), total: make([]int, n)}
	for i := range l.perSecond {
		l.perSecond[i] = make([]uint32, 86400)
	}
	return l
}

func (l *loadMeter) request(h, sec int) {
	l.perSecond[h][sec]++
	l.total[h]++
	if v := int(l.perSecond[h][sec]); v > l.peak[h] {
		l.peak[h] = v
	}
}

// reset starts a new day.
func (l *loadMeter) reset() {
	for h := range l.perSecond {
		if l.total[h] > 0 {
			clear(l.perSecond[h])
		}
		l.peak[h], l.total[h] = 0, 0
	}
}
