package discovery

import (
	"context"
	"slices"
	"time"
)

// DefaultStagger is how long an attempt may stay silent before the next one
// starts, as Happy Eyeballs (RFC 8305, "Connection Attempt Delay") does for
// addresses.
const DefaultStagger = 250 * time.Millisecond

// Candidate is one address of one host to try. When the host's name could
// not be resolved, Addr is empty and Err says why.
type Candidate struct {
	Host Host
	Addr string
	Err  error
}

// Tiers splits the hosts of a plan into the groups that race together: the
// hosts of one SRV priority, in the plan's (weight) order. A cached host
// leads the first group, so it keeps a head start of one stagger delay
// over the others without holding them back when it is silent; a pinned
// host is a group of its own.
func Tiers(hosts []Host) [][]Host {
	var out [][]Host
	for i, h := range hosts {
		if i > 0 && h.Source == SourceSRV && (hosts[i-1].Source != SourceSRV || hosts[i-1].Priority == h.Priority) {
			out[len(out)-1] = append(out[len(out)-1], h)
			continue
		}
		out = append(out, []Host{h})
	}
	return out
}

// Candidates resolves the hosts of one tier, all at once, and sends their
// addresses on the returned channel in the tier's order: every address of
// the first host, then of the second, and so on. A host that cannot be
// resolved is sent once with Err set. Each lookup is bounded by timeout;
// the channel is closed after the last candidate or when ctx is done.
func Candidates(ctx context.Context, r Resolver, tier []Host, timeout time.Duration) <-chan Candidate {
	type lookup struct {
		addrs []string
		err   error
	}
	done := make([]chan lookup, len(tier))
	for i, h := range tier {
		done[i] = make(chan lookup, 1)
		go func() {
			lctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			a, err := r.LookupAddrs(lctx, h.Name)
			done[i] <- lookup{a, err}
		}()
	}
	out := make(chan Candidate)
	go func() {
		defer close(out)
		send := func(c Candidate) bool {
			select {
			case out <- c:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for i, h := range tier {
			var l lookup
			select {
			case l = <-done[i]:
			case <-ctx.Done():
				return
			}
			if l.err != nil {
				if !send(Candidate{Host: h, Err: l.err}) {
					return
				}
				continue
			}
			for _, a := range l.addrs {
				if !send(Candidate{Host: h, Addr: a}) {
					return
				}
			}
		}
	}()
	return out
}

// Stagger runs attempts one after another without waiting for a silent
// one: the next attempt starts Delay after the previous one started, or at
// once when the previous one fails.
type Stagger struct {
	Delay time.Duration                          // 0 = DefaultStagger
	After func(d time.Duration) <-chan time.Time // nil = time.After; tests inject a clock
}

// Race takes candidates from cands as Stagger says and calls try for each
// one in its own goroutine, with a context that is cancelled when another
// attempt ends the race. try returns true when its attempt ends the race
// (the host answered for good); false lets the race go on.
//
// Race returns the index (in start order) of the attempt that ended it, or
// -1 when every attempt failed, and the indexes of the attempts it
// cancelled. It returns only after every attempt it started has returned,
// so try must honour its context. Candidates with Err set are passed to
// try too (to be recorded); they fail at once.
func (s Stagger) Race(ctx context.Context, cands <-chan Candidate, try func(ctx context.Context, i int, c Candidate) bool) (winner int, cancelled []int) {
	delay := s.Delay
	if delay <= 0 {
		delay = DefaultStagger
	}
	after := s.After
	if after == nil {
		after = time.After
	}
	type result struct {
		i  int
		ok bool
	}
	results := make(chan result)
	var cancels []context.CancelFunc
	running := map[int]bool{}
	winner = -1
	want := true // start the next attempt when a candidate comes
	var timer <-chan time.Time
	done := ctx.Done()
	for cands != nil || len(running) > 0 {
		var next <-chan Candidate
		if want {
			next = cands
		}
		if next == nil && len(running) == 0 {
			break
		}
		select {
		case c, ok := <-next:
			if !ok {
				cands = nil
				continue
			}
			i := len(cancels)
			actx, cancel := context.WithCancel(ctx)
			cancels = append(cancels, cancel)
			running[i] = true
			go func() { results <- result{i, try(actx, i, c)} }()
			want, timer = false, after(delay)
		case <-timer:
			want, timer = true, nil
		case r := <-results:
			delete(running, r.i)
			cancels[r.i]()
			if r.ok && winner < 0 {
				winner = r.i
				for j := range running {
					cancels[j]()
					cancelled = append(cancelled, j)
				}
				cands, want = nil, false
				continue
			}
			if winner < 0 {
				want, timer = true, nil // a failure starts the next attempt at once
			}
		case <-done:
			// Wait for the running attempts, which see ctx too.
			cands, want, done = nil, false, nil
		}
	}
	slices.Sort(cancelled)
	return winner, cancelled
}
