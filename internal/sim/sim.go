package sim

import (
	"strings"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/license"
)

// SampleMinute is the minute of the day at which each day's states and
// counts are taken: 23:59, after every connection of the day.
const SampleMinute = 23*60 + 59

// hwid is every simulated machine's hardware id: each machine is judged
// alone, and the hardware never changes (a reimage keeps it).
const hwid = "sim"

// partialKey is the last 5 characters of every simulated key.
const partialKey = "SIM00"

// machine is the compact state of one simulated machine. Times are minutes
// since the start of day 0 (-1: none). It is the license.Product of the
// machine's one product, minus what is the same for every machine of its
// kind; see [Sim.product] and [Sim.keep].
type machine struct {
	keyAt, graceAt, grantAt, grantExp, lastAt int32
	lastResult                                uint32
	wake                                      int32  // the day the machine is next looked at; -1 none
	kind                                      uint16 // index in Sim.kinds
	gen                                       uint16 // CMID generation: a rearm or a reimage makes a new CMID
	rearms                                    uint8
	graceKind                                 uint8 // license.Status
	status                                    uint8 // license.Status at the last sample
	grant                                     uint8 // grantNone, grantKMS, grantMAK
	cached                                    uint8 // host caching: 1 + index of the last host that activated it; 0 none
	installed                                 bool
}

const (
	grantNone uint8 = iota
	grantKMS
	grantMAK
)

// kind is a machine kind with what the simulator derived from it.
type kind struct {
	*Machine
	prod    int
	channel license.Channel
	lo, hi  int // machine indexes [lo, hi)
	makKey  int // index in Sim.keys, or -1
}

// product is a catalog product with its rules.
type product struct {
	sku, name string
	group     int
	policy    license.Policy
	validity  time.Duration
}

// counted is one count: a group on a host, or on hosts sharing a count.
type counted struct {
	label string // "kms1/suite"
	group int
	c     *kms.Counter[uint64]
}

// hostState is a KMS host of the scenario.
type hostState struct {
	name   string
	counts []int // index in Sim.counts per group; -1 when not served
	down   []bool
}

// makState is a MAK key: activations left and the machines it activated.
type makState struct {
	name         string
	limit        int // activations the key was minted with
	remaining    int
	used         []uint64 // bitset over machine indexes (the hardware id)
	exhausted    int      // the day the last activation was spent; -1
	firstRefused int      // the first day an activation was refused; -1
	refused      int      // activations refused
}

// Sim is one simulation of a scenario: the fleet's compact state, the
// hosts' counts and the MAK keys. Make one with [New] and run it once with
// [Sim.Run].
type Sim struct {
	sc       *Scenario
	start    time.Time
	settings kms.Settings
	prods    []product
	groups   []string
	kinds    []kind
	order    []int // kinds by connection time, then scenario order
	m        []machine
	hosts    []hostState
	counts   []counted
	keys     []makState
	dnsDown  []bool
	svcDown  []bool
	wake     [][]uint64 // per day: bitset of the machines to look at
	status   [][6]int   // per product: machines per license.Status
	load     loadMeter
	scratch  license.Grant
}

// New prepares a simulation of sc under the rules of cat (a catalog that
// ParseScenario checked sc against).
func New(sc *Scenario, cat *catalog.Catalog) *Sim {
	s := &Sim{sc: sc, start: sc.StartTime(), settings: kms.DefaultSettings()}
	for _, g := range cat.Groups {
		s.groups = append(s.groups, g.Name)
	}
	for _, p := range cat.Products {
		gi := 0
		for i, g := range cat.Groups {
			if strings.EqualFold(g.Name, p.Group) {
				gi = i
			}
		}
		s.prods = append(s.prods, product{sku: p.SKU, name: p.Name, group: gi, policy: p.LicensePolicy(), validity: p.KMSValidity()})
	}
	s.status = make([][6]int, len(s.prods))
	s.initHosts(cat)
	for _, k := range sc.MAKKeys {
		s.keys = append(s.keys, makState{name: k.Name, limit: k.Activations, remaining: k.Activations, exhausted: -1, firstRefused: -1})
	}
	s.dnsDown, s.svcDown = make([]bool, sc.Days), make([]bool, sc.Days)
	for _, o := range sc.Outages {
		for d := o.From; d < min(o.To, sc.Days); d++ {
			switch o.Of {
			case "dns":
				s.dnsDown[d] = true
			case "service":
				s.svcDown[d] = true
			case "host":
				for h := range s.hosts {
					if s.hosts[h].name == o.Host {
						s.hosts[h].down[d] = true
					}
				}
			}
		}
	}
	s.initMachines()
	s.load = newLoadMeter(len(s.hosts) + 1)
	return s
}

// initHosts makes the hosts and their counts: one per group served, per
// host or per shared count.
func (s *Sim) initHosts(cat *catalog.Catalog) {
	shared := map[string]int{} // "count/group" -> index in s.counts
	for _, h := range s.sc.Hosts {
		hs := hostState{name: h.Name, counts: make([]int, len(cat.Groups)), down: make([]bool, s.sc.Days)}
		domain := h.Name
		if h.Count != "" {
			domain = h.Count
		}
		for gi, g := range cat.Groups {
			hs.counts[gi] = -1
			if len(h.Groups) > 0 && !containsFold(h.Groups, g.Name) {
				continue
			}
			key := domain + "/" + g.Name
			ci, ok := shared[key]
			if !ok {
				ci = len(s.counts)
				shared[key] = ci
				s.counts = append(s.counts, counted{label: key, group: gi, c: kms.NewCounter[uint64](g.Threshold)})
			}
			hs.counts[gi] = ci
		}
		s.hosts = append(s.hosts, hs)
	}
}

// initMachines lays the machines out kind by kind and wakes each on its
// install day.
func (s *Sim) initMachines() {
	n := 0
	for i := range s.sc.Machines {
		mk := &s.sc.Machines[i]
		k := kind{Machine: mk, lo: n, hi: n + mk.Count, makKey: -1, channel: license.Channel(mk.Channel)}
		for pi, p := range s.prods {
			if strings.EqualFold(p.sku, mk.SKU) {
				k.prod = pi
			}
		}
		for ki, key := range s.sc.MAKKeys {
			if key.Name == mk.MAKKey {
				k.makKey = ki
			}
		}
		s.kinds = append(s.kinds, k)
		n += mk.Count
	}
	for i := range s.kinds {
		s.order = append(s.order, i)
	}
	// Stable by time of day: earlier connections are counted first.
	for i := 1; i < len(s.order); i++ {
		for j := i; j > 0 && s.kinds[s.order[j]].atMinute < s.kinds[s.order[j-1]].atMinute; j-- {
			s.order[j], s.order[j-1] = s.order[j-1], s.order[j]
		}
	}
	s.m = make([]machine, n)
	s.wake = make([][]uint64, s.sc.Days)
	for ki, k := range s.kinds {
		for i := k.lo; i < k.hi; i++ {
			s.m[i] = machine{keyAt: -1, graceAt: -1, grantAt: -1, grantExp: -1, lastAt: -1, wake: -1, kind: uint16(ki)}
			s.schedule(i, k.InstallDay)
		}
		s.status[k.prod][license.Unlicensed] += k.Count
	}
	for i := range s.keys {
		s.keys[i].used = make([]uint64, (n+63)/64)
	}
}

// schedule wakes machine i on day d (nothing when d is past the end).
func (s *Sim) schedule(i, d int) {
	if d < 0 || d >= s.sc.Days {
		s.m[i].wake = -1
		return
	}
	if s.wake[d] == nil {
		s.wake[d] = make([]uint64, (len(s.m)+63)/64)
	}
	s.wake[d][i/64] |= 1 << (i % 64)
	s.m[i].wake = int32(d)
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// Machines is the number of simulated machines.
func (s *Sim) Machines() int { return len(s.m) }

// Status is machine i's status at the last sample taken.
func (s *Sim) Status(i int) license.Status { return license.Status(s.m[i].status) }

// KindOf is the index in the scenario's machines of machine i's kind.
func (s *Sim) KindOf(i int) int { return int(s.m[i].kind) }
