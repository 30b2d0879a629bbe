package ledger

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/machineid"
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

// TestRaceMAKClones: clones of one machine (same hardware id, other
// identity sources) racing on one key, each sending its request several
// times at once, spend exactly one activation each up to the limit, never
// none (a free clone) and never past the limit; every request of one
// clone lands on one instance, and no two clones share an instance.
func TestRaceMAKClones(t *testing.T) {
	cases := []struct {
		name                   string
		clones, repeats, limit int
		want                   int
	}{
		{"12 clones x 5 requests, limit 50", 12, 5, 50, 12},
		{"12 clones x 5 requests, limit 5", 12, 5, 5, 5},
		{"1 machine x 40 requests, limit 5", 1, 40, 5, 1},
	}
	eachBackend(t, func(t *testing.T, dsn string) {
		replicas := []*Ledger{open(t, dsn), open(t, dsn)}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				k := makKey(fmt.Sprintf("key-clrace%d", i), c.limit)
				results := make([]ActivateResult, c.clones*c.repeats)
				errs := race(len(results), func(i int) error {
					var err error
					in := Installation{ID: "hw-clone/ent", Sources: cloneSources(i % c.clones)}
					results[i], err = replicas[i%len(replicas)].ActivateMAK(context.Background(), k, in, now)
					return err
				})
				spent := map[int]int{}    // clone -> activations it spent
				instance := map[int]int{} // clone -> its instance
				owner := map[int]int{}    // instance -> clone
				for i, err := range errs {
					clone, res := i%c.clones, results[i]
					if err != nil {
						if hresult.CodeOf(err) != hresult.KeyExhausted {
							t.Fatalf("request %d (clone %d): %v, want success or %v", i, clone, err, hresult.KeyExhausted)
						}
						continue
					}
					if res.Spent {
						spent[clone]++
					}
					if n, ok := instance[clone]; ok && n != res.Instance {
						t.Fatalf("clone %d is instance %d and %d", clone, n, res.Instance)
					}
					instance[clone] = res.Instance
					if o, ok := owner[res.Instance]; ok && o != clone {
						t.Fatalf("clones %d and %d share instance %d", o, clone, res.Instance)
					}
					owner[res.Instance] = clone
				}
				for clone, n := range spent {
					if n != 1 {
						t.Errorf("clone %d spent %d activations", clone, n)
					}
				}
				if len(instance) != c.want || len(spent) != c.want {
					t.Fatalf("%d clones activated, %d spent; want exactly %d", len(instance), len(spent), c.want)
				}
				wantStatus(t, replicas[0], k, KeyStatus{Used: c.want, Limit: c.limit, Remaining: c.limit - c.want, Activations: c.want})
			})
		}
	})
}

// cloneSources are the identity sources of clone i of one machine: the
// same machine-id, its own DMI UUID and MAC.
func cloneSources(i int) []machineid.Source {
	d := func(tag string) string { return fmt.Sprintf("%-32s", fmt.Sprintf("%s%d", tag, i))[:32] }
	return []machineid.Source{
		{Name: machineid.SourceMachineID, Digests: []string{"11111111111111111111111111111111"}},
		{Name: machineid.SourceDMIProductUUID, Digests: []string{d("uuid")}},
		{Name: machineid.SourceMACs, Digests: []string{d("mac")}},
	}
}
