package e2e_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/discovery/dnstest"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/productkey"
)

// silentHost listens on addr (host:port, port 0 = any), accepts
// connections, reads what they send and never answers. It returns its
// address; it stops at the end of the test.
func silentHost(t testing.TB, addr string) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// actJSON is what `volact act --json` prints for one product.
type actJSON struct {
	Results []struct {
		Status   string `json:"status"`
		Host     string `json:"host"`
		Attempts []struct {
			Host   string `json:"host"`
			Source string `json:"source"`
			Result string `json:"result"`
		} `json:"attempts"`
	} `json:"results"`
}

// TestKMSFailoverSilentHost runs real `volactd kms serve` and `volact`
// processes behind a real DNS server on loopback with two SRV records of
// one priority: the first names a host that accepts connections and never
// answers, the second a KMS host. `volact act` activates through the
// second: its attempt started while the first was silent, and the first
// was cancelled. With host caching on, the next act goes to the second
// host alone. With VOLACT_FAILOVER_RUNS=N (scripts/bench-failover.sh) it
// times N runs of act with caching off and prints the median and maximum;
// it asserts nothing about time.
func TestKMSFailoverSilentHost(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	now := time.Now().UTC()
	dir := t.TempDir()
	a, err := authority.Init(filepath.Join(dir, "auth"), now, authority.AllowOverrides(catalog.OverrideClock, catalog.OverrideMachineID))
	if err != nil {
		t.Fatal(err)
	}
	host := startServe(t, []string{"NO_COLOR=1"}, "kms", "serve", "--data", kmstest.ActivatedDir(t, a, now, "suite-pro"),
		"--listen", "127.0.0.1:0", "--name", "kms-failover")
	silent := silentHost(t, "127.0.0.1:0")
	dns, err := dnstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()
	port := func(addr string) uint16 {
		_, p, _ := net.SplitHostPort(addr)
		n, _ := strconv.Atoi(p)
		return uint16(n)
	}
	// Weight 0 for both: RFC 2782 keeps their order, so the silent host is
	// always tried first.
	dns.AddSRV("_vlmcs._tcp.corp.test", 0, 0, port(silent), "silent.corp.test")
	dns.AddSRV("_vlmcs._tcp.corp.test", 0, 0, port(host.addr), "kms.corp.test")
	dns.AddAddr("silent.corp.test", "127.0.0.1")
	dns.AddAddr("kms.corp.test", "127.0.0.1")

	if err := os.WriteFile(filepath.Join(dir, "none.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ck, err := a.Mint(productkey.KMSClient, "suite-pro", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	env := func(store string) []string {
		return []string{"VOLACT_STORE=" + filepath.Join(dir, store), "VOLACT_CATALOG=" + filepath.Join(a.Dir, authority.CatalogFile),
			"VOLACT_DNS_SERVER=" + dns.Addr, "VOLACT_CONFIG=" + filepath.Join(dir, "none.yaml"), "NO_COLOR=1"}
	}
	run := func(store string, want int, args ...string) string {
		t.Helper()
		code, out, errOut := volactRun(t, env(store), args...)
		if code != want {
			t.Fatalf("volact %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out
	}
	// Four machines pinned to the host bring its count to 4 of 5.
	for i := range 4 {
		s := fmt.Sprint("pre", i)
		run(s, 0, "inpkey", ck.String())
		run(s, 0, "sethst", host.addr)
		run(s, 5, "act")
	}
	run("m", 0, "inpkey", ck.String())
	run("m", 0, "setdomain", "corp.test")

	var res actJSON
	if err := json.Unmarshal([]byte(run("m", 0, "act", "--json")), &res); err != nil {
		t.Fatal(err)
	}
	r := res.Results[0]
	if r.Status != "licensed" || !strings.HasPrefix(r.Host, "kms.corp.test:") || len(r.Attempts) != 2 ||
		!strings.HasPrefix(r.Attempts[0].Host, "silent.corp.test:") || r.Attempts[0].Result != "no answer, cancelled when another host answered" ||
		!strings.HasPrefix(r.Attempts[1].Host, "kms.corp.test:") || r.Attempts[1].Result != "activated (count 5)" {
		t.Fatalf("act through the second host: %+v", r)
	}

	// Host caching: the host that answered is asked first, and alone.
	res = actJSON{}
	if err := json.Unmarshal([]byte(run("m", 0, "act", "--json")), &res); err != nil {
		t.Fatal(err)
	}
	if a := res.Results[0].Attempts; len(a) != 1 || a[0].Source != "cached" || !strings.HasPrefix(a[0].Host, "kms.corp.test:") {
		t.Fatalf("cached host: %+v", a)
	}

	runs, _ := strconv.Atoi(os.Getenv("VOLACT_FAILOVER_RUNS"))
	if runs <= 0 {
		return
	}
	run("m", 0, "cachst", "false")
	times := make([]time.Duration, runs)
	for i := range times {
		start := time.Now()
		out := run("m", 0, "act", "--json")
		times[i] = time.Since(start)
		if !strings.Contains(out, "cancelled when another host answered") {
			t.Fatalf("run %d did not go through the silent host first:\n%s", i, out)
		}
	}
	slices.Sort(times)
	fmt.Printf("failover-figures runs=%d median_ms=%.0f max_ms=%.0f min_ms=%.0f\n", runs,
		ms(times[runs/2]), ms(times[runs-1]), ms(times[0]))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
