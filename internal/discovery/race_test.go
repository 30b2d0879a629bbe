package discovery_test

import (
	"context"
	"errors"
	"net"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/volact/volact/internal/discovery"
)

// fakeClock hands out timers that fire only when the test says so.
type fakeClock struct {
	mu     sync.Mutex
	timers []chan time.Time
	asked  chan time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{asked: make(chan time.Duration, 16)} }

func (f *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	f.mu.Lock()
	f.timers = append(f.timers, ch)
	f.mu.Unlock()
	f.asked <- d
	return ch
}

// fire fires the n-th timer handed out.
func (f *fakeClock) fire(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.timers[n] <- time.Time{}
}

func candidates(addrs ...string) <-chan discovery.Candidate {
	ch := make(chan discovery.Candidate, len(addrs))
	for _, a := range addrs {
		ch <- discovery.Candidate{Host: discovery.Host{Name: a, Port: 1688}, Addr: a}
	}
	close(ch)
	return ch
}

// attempt is what the test sees of one started attempt.
type attempt struct {
	addr   string
	ctx    context.Context
	answer chan bool // the test sends the attempt's result
}

// race runs Stagger.Race in the background and reports each attempt as it
// starts.
func race(t *testing.T, clk *fakeClock, cands <-chan discovery.Candidate) (started chan attempt, done chan [2]any) {
	t.Helper()
	started, done = make(chan attempt, 16), make(chan [2]any, 1)
	s := discovery.Stagger{After: clk.After}
	go func() {
		w, c := s.Race(context.Background(), cands, func(ctx context.Context, i int, c discovery.Candidate) bool {
			a := attempt{addr: c.Addr, ctx: ctx, answer: make(chan bool)}
			started <- a
			select {
			case ok := <-a.answer:
				return ok
			case <-ctx.Done():
				return false
			}
		})
		done <- [2]any{w, c}
	}()
	return started, done
}

func noAttempt(t *testing.T, started chan attempt) {
	t.Helper()
	select {
	case a := <-started:
		t.Fatalf("attempt at %s started before its time", a.addr)
	case <-time.After(20 * time.Millisecond):
	}
}

// A silent first attempt: the second starts when the stagger delay has
// passed (not before), answers, and the first is cancelled.
func TestRaceSilentFirst(t *testing.T) {
	clk := newFakeClock()
	started, done := race(t, clk, candidates("a", "b", "c"))
	first := <-started
	if d := <-clk.asked; d != discovery.DefaultStagger {
		t.Fatalf("delay %v, want %v", d, discovery.DefaultStagger)
	}
	noAttempt(t, started)
	clk.fire(0)
	second := <-started
	if second.addr != "b" {
		t.Fatalf("second attempt at %s", second.addr)
	}
	second.answer <- true
	got := <-done
	if got[0] != 1 || !reflect.DeepEqual(got[1], []int{0}) {
		t.Fatalf("winner %v cancelled %v, want 1 [0]", got[0], got[1])
	}
	if !errors.Is(first.ctx.Err(), context.Canceled) {
		t.Fatalf("the silent attempt was not cancelled: %v", first.ctx.Err())
	}
	select {
	case a := <-started:
		t.Fatalf("attempt at %s started after the race was won", a.addr)
	default:
	}
}

// A failed attempt starts the next one at once, without waiting for the
// delay; an earlier silent attempt that answers later still wins.
func TestRaceFailureStartsNext(t *testing.T) {
	clk := newFakeClock()
	started, done := race(t, clk, candidates("a", "b", "c"))
	a := <-started
	clk.fire(0)
	b := <-started
	b.answer <- false // refused
	c := <-started    // no timer fired for it
	a.answer <- true
	got := <-done
	if c.addr != "c" || got[0] != 0 || !reflect.DeepEqual(got[1], []int{2}) {
		t.Fatalf("winner %v cancelled %v (third %s), want 0 [2]", got[0], got[1], c.addr)
	}
}

// Every attempt fails: no winner, nothing cancelled.
func TestRaceAllFail(t *testing.T) {
	clk := newFakeClock()
	started, done := race(t, clk, candidates("a", "b"))
	(<-started).answer <- false
	(<-started).answer <- false
	got := <-done
	if got[0] != -1 || got[1] != nil && len(got[1].([]int)) != 0 {
		t.Fatalf("winner %v cancelled %v", got[0], got[1])
	}
}

func TestTiers(t *testing.T) {
	h := func(name, src string, prio int) discovery.Host {
		return discovery.Host{Name: name, Source: src, Priority: prio}
	}
	names := func(tiers [][]discovery.Host) [][]string {
		var out [][]string
		for _, tier := range tiers {
			var n []string
			for _, x := range tier {
				n = append(n, x.Name)
			}
			out = append(out, n)
		}
		return out
	}
	got := names(discovery.Tiers([]discovery.Host{h("c", "cached", 0), h("a", "srv", 0), h("b", "srv", 0), h("d", "srv", 10), h("e", "srv", 20), h("f", "srv", 20)}))
	want := [][]string{{"c", "a", "b"}, {"d"}, {"e", "f"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("tiers %v, want %v", got, want)
	}
	if got := names(discovery.Tiers([]discovery.Host{h("p", "pinned", 0)})); !reflect.DeepEqual(got, [][]string{{"p"}}) {
		t.Fatalf("pinned: %v", got)
	}
}

// stubResolver answers address lookups from a map.
type stubResolver map[string][]string

func (s stubResolver) LookupSRV(context.Context, string) ([]*net.SRV, error) { return nil, nil }
func (s stubResolver) LookupAddrs(_ context.Context, h string) ([]string, error) {
	if a, ok := s[h]; ok {
		return a, nil
	}
	return nil, discovery.ErrNotFound
}

// Candidates keeps the tier's order: every address of a host, then the
// next host; a name that does not resolve comes once with its error.
func TestCandidatesOrder(t *testing.T) {
	r := stubResolver{"a": {"10.0.0.1", "10.0.0.2"}, "c": {"10.0.0.3"}}
	tier := []discovery.Host{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	var got []string
	for c := range discovery.Candidates(context.Background(), r, tier, time.Second) {
		if c.Err != nil {
			got = append(got, c.Host.Name+"!")
			continue
		}
		got = append(got, c.Addr)
	}
	if want := []string{"10.0.0.1", "10.0.0.2", "b!", "10.0.0.3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("candidates %v, want %v", got, want)
	}
}
