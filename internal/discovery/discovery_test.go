package discovery_test

import (
	"context"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/volact/volact/internal/discovery"
	"github.com/volact/volact/internal/discovery/dnstest"
	"github.com/volact/volact/internal/hresult"
)

func startDNS(t *testing.T) *dnstest.Server {
	t.Helper()
	s, err := dnstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func names(hs []discovery.Host) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.String() + "/" + h.Source
	}
	return out
}

func TestPlanWithRealDNSServer(t *testing.T) {
	s := startDNS(t)
	s.AddSRV("_vlmcs._tcp.corp.test", 20, 0, 1700, "backup.corp.test")
	s.AddSRV("_vlmcs._tcp.corp.test", 10, 0, 1688, "kms1.corp.test")
	s.AddSRV("_vlmcs._tcp.corp.test", 10, 0, 1689, "kms2.corp.test")
	s.AddSRV("_vlmcs._tcp.other.test", 0, 0, 1688, "kms.other.test")
	r := discovery.NewResolver(s.Addr)
	first := func(int) int { return 0 }
	for _, tc := range []struct {
		name string
		cfg  discovery.Config
		want []string
		code hresult.Code
	}{
		{"srv priority order", discovery.Config{Domains: []string{"corp.test"}},
			[]string{"kms1.corp.test:1688/srv", "kms2.corp.test:1689/srv", "backup.corp.test:1700/srv"}, 0},
		{"first domain with records wins", discovery.Config{Domains: []string{"none.test", "other.test", "corp.test"}},
			[]string{"kms.other.test:1688/srv"}, 0},
		{"cached first, not repeated", discovery.Config{Domains: []string{"corp.test"}, CachedHost: "kms2.corp.test:1689"},
			[]string{"kms2.corp.test:1689/cached", "kms1.corp.test:1688/srv", "backup.corp.test:1700/srv"}, 0},
		{"pinned wins alone", discovery.Config{Domains: []string{"corp.test"}, PinnedHost: "10.0.0.9", CachedHost: "kms2.corp.test:1689"},
			[]string{"10.0.0.9:1688/pinned"}, 0},
		{"pinned port", discovery.Config{PinnedHost: "kms", PinnedPort: 2000}, []string{"kms:2000/pinned"}, 0},
		{"cached survives missing srv", discovery.Config{Domains: []string{"none.test"}, CachedHost: "old:1688"}, []string{"old:1688/cached"}, 0},
		{"no srv record", discovery.Config{Domains: []string{"none.test"}}, nil, hresult.NoSRV},
		{"no domain", discovery.Config{}, nil, hresult.NoHost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Resolver, tc.cfg.Intn = r, first
			hs, err := discovery.Plan(context.Background(), tc.cfg)
			if tc.code != 0 {
				if e := hresult.From(err); e.Code != tc.code || e.Exit != hresult.ExitUnreachable {
					t.Fatalf("got %v, want %s exit 4", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(hs); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOrderWeights(t *testing.T) {
	recs := []*net.SRV{
		{Target: "a", Priority: 1, Weight: 10}, {Target: "b", Priority: 1, Weight: 30},
		{Target: "z", Priority: 0, Weight: 0}, {Target: "c", Priority: 1, Weight: 0},
	}
	order := func(draws ...int) []string {
		i := 0
		intn := func(n int) int {
			d := 0
			if i < len(draws) {
				d = draws[i]
			}
			i++
			if d >= n {
				t.Fatalf("draw %d out of [0,%d)", d, n)
			}
			return d
		}
		var out []string
		for _, s := range discovery.Order(recs, intn) {
			out = append(out, s.Target)
		}
		return out
	}
	// Priority 0 first (alone: no draw); among priority 1 (c:0, a:10, b:30, sum 40):
	// draw 0 picks c (zero weight first), 1..10 a, 11..40 b.
	for _, tc := range []struct {
		draws []int
		want  []string
	}{
		{[]int{0}, []string{"z", "c", "a", "b"}},
		{[]int{10, 0}, []string{"z", "a", "c", "b"}},
		{[]int{11, 0}, []string{"z", "b", "c", "a"}},
		{[]int{40, 10}, []string{"z", "b", "a", "c"}},
	} {
		if got := order(tc.draws...); !slices.Equal(got, tc.want) {
			t.Errorf("draws %v: %v, want %v", tc.draws, got, tc.want)
		}
	}
	// Over many draws, weight 30 comes first about 3 times as often as 10.
	rnd := rand.New(rand.NewPCG(1, 2))
	counts := map[string]int{}
	for range 4000 {
		counts[discovery.Order(recs[:2], rnd.IntN)[0].Target]++
	}
	if counts["b"] < 2700 || counts["b"] > 3300 {
		t.Errorf("weight 30 of 40 came first %d of 4000 times", counts["b"])
	}
}

func TestLookupAddrs(t *testing.T) {
	s := startDNS(t)
	for _, ip := range []string{"127.0.0.1", "127.0.0.2", "::1"} {
		if err := s.AddAddr("rr.corp.test", ip); err != nil {
			t.Fatal(err)
		}
	}
	r := discovery.NewResolver(s.Addr)
	got, err := r.LookupAddrs(context.Background(), "rr.corp.test")
	slices.Sort(got) // the resolver orders them by RFC 6724
	if err != nil || !slices.Equal(got, []string{"127.0.0.1", "127.0.0.2", "::1"}) {
		t.Fatalf("addresses %v, %v", got, err)
	}
	if got, _ := r.LookupAddrs(context.Background(), "10.1.1.1"); !slices.Equal(got, []string{"10.1.1.1"}) {
		t.Fatalf("literal: %v", got)
	}
	if _, err := r.LookupAddrs(context.Background(), "missing.corp.test"); err == nil {
		t.Fatal("missing name resolved")
	}
	dead := discovery.NewResolver("127.0.0.1:1")
	if _, err := dead.LookupSRV(context.Background(), "_vlmcs._tcp.x"); err == nil {
		t.Fatal("a dead DNS server answered")
	}
}

func TestResolvConfDomains(t *testing.T) {
	p := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(p, []byte("# comment\ndomain old.test\nnameserver 10.0.0.1\nsearch corp.test. lab.test\n"), 0o644)
	if got := discovery.ResolvConfDomains(p); !slices.Equal(got, []string{"corp.test", "lab.test"}) {
		t.Fatalf("got %v", got)
	}
	if got := discovery.ResolvConfDomains(filepath.Join(t.TempDir(), "none")); got != nil {
		t.Fatalf("missing file: %v", got)
	}
}
