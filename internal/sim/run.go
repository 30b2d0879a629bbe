package sim

import (
	"context"
	"math/bits"
	"time"

	"github.com/volact/volact/internal/license"
)

// Run simulates every day of the scenario and returns the per-day rows.
// onDay, if not nil, is called after each day with the day just done (the
// machines' states are then those of its sample, [Sim.Status]). A
// cancelled ctx stops the run between two days with ctx's error.
func (s *Sim) Run(ctx context.Context, onDay func(day int)) (*Result, error) {
	res := s.newResult()
	for d := 0; d < s.sc.Days; d++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if w := s.wake[d]; w != nil {
			for _, ki := range s.order {
				k := &s.kinds[ki]
				s.stepRange(w, k.lo, k.hi, d)
			}
			s.wake[d] = nil
		}
		s.record(res, d)
		if onDay != nil {
			onDay(d)
		}
	}
	s.finish(res)
	return res, nil
}

// stepRange steps the machines in [lo, hi) whose bit is set in w, in
// index order.
func (s *Sim) stepRange(w []uint64, lo, hi, d int) {
	for wi := lo / 64; wi < len(w) && wi*64 < hi; wi++ {
		word := w[wi]
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &^= 1 << b
			if i := wi*64 + b; i >= lo && i < hi {
				s.step(i, d)
			}
		}
	}
}

// Events is what happens to a machine on a day, before its state is
// sampled: its key is installed (the first day) or it is reimaged (a new
// store and CMID, the key installed again), it is rearmed, and it
// connects (and runs act --if-due). All happen at its kind's time of day,
// in that order.
type Events struct {
	Install, Reimage, Rearm, Connect bool
}

// EventsOf says what happens to machine i on day d.
func (s *Sim) EventsOf(i, d int) Events {
	k := &s.kinds[s.m[i].kind]
	var e Events
	e.Install = d == k.InstallDay
	if d > k.InstallDay {
		e.Reimage = every(k.ReimageEvery, s.phase(i, saltReimage, k.ReimageEvery), d)
		e.Rearm = every(k.RearmEvery, s.phase(i, saltRearm, k.RearmEvery), d)
	}
	e.Connect = d >= k.InstallDay && s.connects(k, i, d)
	return e
}

// minutes is t as minutes since the start (-1 for the zero time).
func (s *Sim) minutes(t time.Time) int32 {
	if t.IsZero() {
		return -1
	}
	return int32(t.Sub(s.start) / time.Minute)
}

// at is minutes since the start as a time (the zero time for -1).
func (s *Sim) at(m int32) time.Time {
	if m < 0 {
		return time.Time{}
	}
	return s.start.Add(time.Duration(m) * time.Minute)
}

// product is machine m's license.Product. Its grant, if any, points to a
// scratch grant: the core never changes a grant in place.
func (s *Sim) product(m *machine, k *kind) license.Product {
	pr := &s.prods[k.prod]
	p := license.Product{SKU: pr.sku, Name: pr.name, Channel: k.channel, HardwareID: hwid,
		KeyInstalledAt: s.at(m.keyAt), GraceStart: s.at(m.graceAt), GraceKind: license.Status(m.graceKind),
		RearmCount: int(m.rearms), LastAttempt: s.at(m.lastAt), LastResult: m.lastResult}
	if m.installed {
		p.PartialKey = partialKey
	}
	if m.grant != grantNone {
		s.scratch = license.Grant{Kind: license.GrantKMS, ActivatedAt: s.at(m.grantAt), ExpiresAt: s.at(m.grantExp), HardwareID: hwid}
		if m.grant == grantMAK {
			s.scratch.Kind = license.GrantMAK
		}
		p.Grant = &s.scratch
	}
	if k.channel == license.KMSClient && m.lastAt >= 0 {
		p.ActivationInterval, p.RenewalInterval = s.settings.ActivationInterval, s.settings.RenewalInterval
	}
	return p
}

// keep stores p back into m.
func (s *Sim) keep(m *machine, p license.Product) {
	m.installed = p.PartialKey != ""
	m.keyAt, m.graceAt, m.lastAt = s.minutes(p.KeyInstalledAt), s.minutes(p.GraceStart), s.minutes(p.LastAttempt)
	m.graceKind, m.rearms, m.lastResult = uint8(p.GraceKind), uint8(min(p.RearmCount, 255)), p.LastResult
	m.grant = grantNone
	if g := p.Grant; g != nil {
		m.grant = grantKMS
		if g.Kind == license.GrantMAK {
			m.grant = grantMAK
		}
		m.grantAt, m.grantExp = s.minutes(g.ActivatedAt), s.minutes(g.ExpiresAt)
	}
}

// step is one day of machine i: its events, then its state at the sample,
// then the next day something can change for it.
func (s *Sim) step(i, d int) {
	m := &s.m[i]
	if int(m.wake) != d {
		return
	}
	k := &s.kinds[m.kind]
	pol := s.prods[k.prod].policy
	now := s.at(int32(d*1440 + k.atMinute))
	ev := s.EventsOf(i, d)
	p := s.product(m, k)
	if ev.Install || ev.Reimage {
		// A new store: the key is installed as on a new machine.
		p = license.InstallKey(license.Product{}, s.prods[k.prod].sku, s.prods[k.prod].name, k.channel, partialKey, now, hwid, "")
		m.gen++
		m.cached = 0
	}
	if ev.Rearm && p.PartialKey != "" {
		if np, err := license.Rearm(p, pol, now, ""); err == nil {
			p = np
			m.gen++
		}
	}
	if ev.Connect && p.PartialKey != "" {
		if due, _ := license.NextAttempt(p, now); due {
			p = s.attempt(p, i, m, k, d, now)
		}
	}
	s.keep(m, p)
	sample := s.at(int32(d*1440 + SampleMinute))
	e := license.Evaluate(p, pol, sample, hwid)
	if st := uint8(e.Status); st != m.status {
		s.status[k.prod][m.status]--
		s.status[k.prod][st]++
		m.status = st
	}
	s.schedule(i, s.nextWake(i, m, k, d, p, e, sample))
}

// nextWake is the first day after d on which machine i has an event that
// matters or its state changes at the sample; -1 for none.
func (s *Sim) nextWake(i int, m *machine, k *kind, d int, p license.Product, e license.Eval, sample time.Time) int {
	next := -1
	take := func(day int) {
		if day > d && (next < 0 || day < next) {
			next = day
		}
	}
	if m.installed && k.connectPerMon > 0 {
		if _, dueAt := license.NextAttempt(p, sample); !dueAt.IsZero() {
			take(s.nextConnect(k, i, s.firstDayAt(dueAt, k.atMinute, d+1)))
		}
	}
	var change time.Time
	switch e.Status {
	case license.OOBGrace, license.OOTGrace:
		change = e.GraceExpiresAt
	case license.Licensed:
		change = e.ActivationExpiresAt
	}
	if !change.IsZero() {
		take(s.firstDayAt(change, SampleMinute, d+1))
	}
	if k.ReimageEvery > 0 {
		take(nextEvery(k.ReimageEvery, s.phase(i, saltReimage, k.ReimageEvery), max(d+1, k.InstallDay+1)))
	}
	if k.RearmEvery > 0 {
		take(nextEvery(k.RearmEvery, s.phase(i, saltRearm, k.RearmEvery), max(d+1, k.InstallDay+1)))
	}
	return next
}

// firstDayAt is the first day from `from` whose minute minute is at or
// after t.
func (s *Sim) firstDayAt(t time.Time, minute, from int) int {
	mins := int64(t.Sub(s.start) / time.Minute)
	if t.Sub(s.start)%time.Minute > 0 {
		mins++
	}
	day := int64(0)
	if x := mins - int64(minute); x > 0 {
		day = (x + 1439) / 1440
	}
	return int(max(day, int64(from)))
}

// nextConnect is the first day from d on which machine i of kind k
// connects; past the end when none.
func (s *Sim) nextConnect(k *kind, i, d int) int {
	for ; d < s.sc.Days; d++ {
		if s.connects(k, i, d) {
			return d
		}
	}
	return s.sc.Days
}

// connects says whether machine i connects on day d: every day, never, or
// N days of 30 at random (seeded).
func (s *Sim) connects(k *kind, i, d int) bool {
	switch k.connectPerMon {
	case 30:
		return true
	case 0:
		return false
	}
	return s.hash(uint64(i), uint64(d), saltConnect)%30 < uint64(k.connectPerMon)
}

const (
	saltConnect = iota + 1
	saltReimage
	saltRearm
	saltHosts
	saltSpread
)

// hash is a seeded hash of (a, b, salt): splitmix64.
func (s *Sim) hash(a, b, salt uint64) uint64 {
	x := s.sc.Seed ^ a*0x9E3779B97F4A7C15 ^ b*0xC2B2AE3D27D4EB4F ^ salt*0x165667B19E3779F9
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	return x ^ x>>31
}

// phase spreads a cadence of n days over the machines.
func (s *Sim) phase(i int, salt uint64, n int) int {
	if n <= 0 {
		return 0
	}
	return int(s.hash(uint64(i), 0, salt) % uint64(n))
}

// every says whether day d is one of the days (d+phase) % n == 0.
func every(n, phase, d int) bool { return n > 0 && (d+phase)%n == 0 }

// nextEvery is the first such day from d.
func nextEvery(n, phase, d int) int { return d + (n-(d+phase)%n)%n }

// cmid is the count's id of machine i: a new one after each rearm or
// reimage (never 0).
func cmid(i int, gen uint16) uint64 { return uint64(i+1)<<16 | uint64(gen) }
