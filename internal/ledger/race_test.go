package ledger

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/volact/volact/internal/hresult"
)

// raceMAK runs n parallel activations of k, goroutine i activating
// installation i%installs through ledgers[i%len(ledgers)], and checks that
// exactly want of them spent an activation and that every failure is
// KeyExhausted.
func raceMAK(t *testing.T, ledgers []*Ledger, k KeyRef, n, installs, want int) {
	t.Helper()
	var spent atomic.Int64
	errs := race(n, func(i int) error {
		l := ledgers[i%len(ledgers)]
		res, err := l.ActivateMAK(context.Background(), k, Installation{ID: fmt.Sprintf("hw-%d/ent", i%installs)}, now)
		if res.Spent {
			spent.Add(1)
		}
		return err
	})
	for i, err := range errs {
		if err != nil && hresult.CodeOf(err) != hresult.KeyExhausted {
			t.Fatalf("goroutine %d: %v, want success or %v", i, err, hresult.KeyExhausted)
		}
	}
	if got := spent.Load(); got != int64(want) {
		t.Fatalf("%d activations spent, want exactly %d", got, want)
	}
	wantStatus(t, ledgers[0], k, KeyStatus{Used: want, Limit: k.Limit, Remaining: k.Limit - want, Activations: want})
}

func TestRaceMAK(t *testing.T) {
	cases := []struct {
		name               string
		n, installs, limit int
		want               int
	}{
		{"500 installations, limit 50", 500, 500, 50, 50},
		{"500 installations, limit 1000", 500, 500, 1000, 500},
		{"500 requests from 10 installations, limit 5", 500, 10, 5, 5},
	}
	eachBackend(t, func(t *testing.T, dsn string) {
		l := open(t, dsn)
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				raceMAK(t, []*Ledger{l}, makKey(fmt.Sprintf("key-race%d", i), c.limit), c.n, c.installs, c.want)
			})
		}
	})
}

// Two replicas, opened at the same moment (racing migrations), spending on
// one database stay exact.
func TestRaceReplicas(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		replicas := make([]*Ledger, 2)
		errs := race(len(replicas), func(i int) (err error) {
			replicas[i], err = Create(context.Background(), dsn, testRoot)
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("replica %d: Open: %v", i, err)
			}
			t.Cleanup(func() { replicas[i].Close() })
		}
		raceMAK(t, replicas, makKey("key-repl1", 50), 500, 500, 50)
	})
}

func TestRaceHost(t *testing.T) {
	cases := []struct {
		name              string
		n, hosts          int
		wantHosts, wantOK int
	}{
		// 5 requests per host: the first 6 hosts in get all 5 through.
		{"100 requests from 20 hosts", 100, 20, MaxHosts, MaxHosts * 5},
		// 33 or 34 requests per host: 10 each get through.
		{"100 requests from 3 hosts", 100, 3, 3, 3 * MaxHostActivations},
	}
	eachBackend(t, func(t *testing.T, dsn string) {
		l := open(t, dsn)
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				k := hostKey(fmt.Sprintf("host-race%d", i))
				var mu sync.Mutex
				perHost := map[string]int{}
				errs := race(c.n, func(i int) error {
					host := fmt.Sprintf("kms%02d", i%c.hosts)
					_, err := l.ActivateHost(context.Background(), k, host, now)
					if err == nil {
						mu.Lock()
						perHost[host]++
						mu.Unlock()
					}
					return err
				})
				ok := 0
				for i, err := range errs {
					switch {
					case err == nil:
						ok++
					case hresult.CodeOf(err) != hresult.HostKeyLimit:
						t.Fatalf("goroutine %d: %v, want success or %v", i, err, hresult.HostKeyLimit)
					}
				}
				for host, n := range perHost {
					if n > MaxHostActivations {
						t.Errorf("host %s activated %d times", host, n)
					}
				}
				if len(perHost) != c.wantHosts || ok != c.wantOK {
					t.Fatalf("%d hosts, %d activations succeeded; want %d and %d", len(perHost), ok, c.wantHosts, c.wantOK)
				}
				wantStatus(t, l, k, KeyStatus{Used: c.wantHosts, Limit: MaxHosts, Remaining: MaxHosts - c.wantHosts, Activations: c.wantHosts})
			})
		}
	})
}

// BenchmarkActivateMAK measures new activations (each spends one) with
// b.RunParallel at parallelism p: p x GOMAXPROCS goroutines.
func BenchmarkActivateMAK(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			l := open(b, be.dsn(b))
			for _, p := range []int{1, 8, 64} {
				// Shared by the runs that calibrate b.N: every install is new.
				k := makKey(fmt.Sprintf("key-bench-p%02d", p), 1<<30)
				var seq atomic.Int64
				b.Run(fmt.Sprintf("par=%d", p), func(b *testing.B) {
					b.SetParallelism(p)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							install := fmt.Sprintf("hw-%d/ent", seq.Add(1))
							if _, err := l.ActivateMAK(context.Background(), k, Installation{ID: install}, now); err != nil {
								b.Error(err)
								return
							}
						}
					})
				})
			}
		})
	}
}
