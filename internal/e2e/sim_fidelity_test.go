package e2e_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/sim"
)

// fidelityScenario is a small fleet for TestSimFidelity: 30 machines over
// 60 days, KMS desktops (reimaged), VPN laptops (rearmed), machines that
// never connect, MAK servers on a key too small for them, a 10-day KMS host
// outage and a 2-day service outage. Everything happens at 09:00.
const fidelityScenario = `name: fidelity
seed: 3
days: 60
start: %s
hosts: [{name: kms1}]
outages:
  - {of: host, host: kms1, from: 20, to: 30}
  - {of: service, from: 5, to: 7}
mak_keys: [{name: mak, sku: server-std, activations: 4}]
machines:
  - {name: desktops, sku: suite-pro, channel: kms_client, count: 12, connect: daily, reimage_every_days: 25}
  - {name: laptops, sku: suite-pro, channel: kms_client, count: 10, connect: 5/month, rearm_every_days: 20}
  - {name: offline, sku: suite-pro, channel: kms_client, count: 2, connect: never}
  - {name: servers, sku: server-std, channel: mak, mak_key: mak, count: 6, connect: daily, install_day: 3}
`

// stretch is how much longer than 24 hours a virtual day of the real run
// is. The simulator puts each day's events at the same minute, so the
// rules' boundaries (30 days of grace, the 30-day count window, 7-day
// renewal) fall exactly on them; it resolves "at the boundary" as
// "reached" (the end is exclusive). Real processes cannot hit an instant
// exactly (process start, the host's clock running during a day), so
// their day d is at start + d × (24h + stretch): every span of k days is
// k × stretch longer, which lands on the same side of each boundary.
const stretch = time.Minute

// TestSimFidelity drives one fleet through the simulator and through real
// processes of volact and volactd with the clock moved (a KMS host and the
// activation service restarted each day at that day's time), and checks
// that every machine's state is the same on every day.
func TestSimFidelity(t *testing.T) {
	if testing.Short() {
		t.Skip("drives thousands of processes")
	}
	dir := t.TempDir()
	auth, kmsDir := filepath.Join(dir, "auth"), filepath.Join(dir, "kms1")
	catFile := filepath.Join(auth, "catalog.json")
	start := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	at := func(d, minute int) time.Time {
		return start.Add(time.Duration(d)*(24*time.Hour+stretch) + time.Duration(minute)*time.Minute)
	}
	clock := func(t time.Time) string {
		return "VOLACT_CLOCK_OFFSET=" + strconv.FormatInt(int64(time.Until(t)/time.Second), 10) + "s"
	}
	base := []string{"VOLACT_CATALOG=" + catFile}
	run := func(env []string, args ...string) (int, string) {
		code, out, errOut := volactRun(t, append(append([]string{}, base...), env...), args...)
		return code, out + errOut
	}
	must := func(env []string, args ...string) string {
		code, out := run(env, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
		return strings.TrimSpace(out)
	}
	must(nil, "mak", "init", "--dir", auth, "--allow-overrides", "clock,machine-id")
	hostKey := must(nil, "mak", "mint", "--dir", auth, "--type", "kms-host", "--sku", "suite-pro")
	keys := map[string]string{
		"kms_client": must(nil, "mak", "mint", "--dir", auth, "--type", "kms-client", "--sku", "suite-pro"),
		"mak":        must(nil, "mak", "mint", "--dir", auth, "--type", "mak", "--sku", "server-std", "--activations", "4"),
	}
	svcAddr, kmsAddr := freeAddr(t), freeAddr(t)
	svcURL := "http://" + svcAddr
	day0 := []string{clock(at(0, 8*60))}
	stopSvc := startDaemon(t, append(base, day0...), "mak", "serve", "--dir", auth, "--listen", svcAddr)
	must(day0, "kms", "install-key", hostKey, "--data", kmsDir)
	must(day0, "kms", "activate", "--data", kmsDir, "--service", svcURL)
	stopSvc()

	data, err := os.ReadFile(catFile)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := sim.ParseScenario("fidelity.yaml", fmt.Appendf(nil, fidelityScenario, start.Format(time.DateOnly)), cat)
	if err != nil {
		t.Fatal(err)
	}
	s := sim.New(sc, cat)
	n := s.Machines()
	want := make([][]license.Status, sc.Days)
	if _, err := s.Run(t.Context(), func(d int) {
		want[d] = make([]license.Status, n)
		for i := range n {
			want[d][i] = s.Status(i)
		}
	}); err != nil {
		t.Fatal(err)
	}
	// The fleet must go through every state this span allows: initial
	// grace, licensed, notification (and out of it again).
	seen := map[license.Status]int{}
	for d := range want {
		for _, st := range want[d] {
			seen[st]++
		}
	}
	for _, st := range []license.Status{license.Unlicensed, license.OOBGrace, license.Licensed, license.Notification} {
		if seen[st] == 0 {
			t.Fatalf("the scenario never has a machine in %s: it proves too little (%v)", st, seen)
		}
	}
	t.Logf("simulated machine-days by state: %v", seen)
	// The events of the world (who connects, reimages, rearms when) come
	// from the scenario; a fresh Sim answers them from day 0.
	world := sim.New(sc, cat)
	down := func(of string, d int) bool {
		for _, o := range sc.Outages {
			if o.Of == of && d >= o.From && d < o.To {
				return true
			}
		}
		return false
	}
	installed := make([]bool, n)
	mismatches := 0
	for d := range sc.Days {
		now := []string{clock(at(d, 9*60))}
		var stops []func()
		if !down("host", d) {
			stops = append(stops, startDaemon(t, append(base, now...), "kms", "serve", "--data", kmsDir, "--listen", kmsAddr))
		}
		if !down("service", d) {
			stops = append(stops, startDaemon(t, append(base, now...), "mak", "serve", "--dir", auth, "--listen", svcAddr))
		}
		for i := range n {
			k := sc.Machines[world.KindOf(i)]
			ev := world.EventsOf(i, d)
			store := filepath.Join(dir, "m"+strconv.Itoa(i))
			env := append([]string{"VOLACT_STORE=" + store, "VOLACT_MACHINE_ID=machine-" + strconv.Itoa(i), "VOLACT_SERVICE=" + svcURL}, now...)
			if ev.Install || ev.Reimage {
				os.RemoveAll(store)
				must(env, "inpkey", keys[k.Channel])
				if k.Channel == sim.ChannelKMS {
					must(env, "sethst", kmsAddr)
				}
				installed[i] = true
			}
			if ev.Rearm && installed[i] {
				if code, out := run(env, "rearm"); code != 0 && code != 3 && code != 5 {
					t.Fatalf("day %d machine %d: rearm: exit %d\n%s", d, i, code, out)
				}
			}
			if ev.Connect && installed[i] {
				if code, out := run(env, "act", "--if-due"); code != 0 && code != 4 && code != 5 {
					t.Fatalf("day %d machine %d: act --if-due: exit %d\n%s", d, i, code, out)
				}
			}
		}
		for _, stop := range stops {
			stop()
		}
		got := sampleStates(t, run, dir, installed, []string{clock(at(d, sim.SampleMinute))})
		for i := range n {
			if got[i] != want[d][i] {
				mismatches++
				if mismatches <= 20 {
					t.Errorf("day %d machine %d (%s): real %s, simulated %s", d, i, sc.Machines[world.KindOf(i)].Name, got[i], want[d][i])
				}
			}
		}
	}
	if mismatches > 0 {
		t.Fatalf("%d machine-days differ of %d", mismatches, n*sc.Days)
	}
	t.Logf("%d machines × %d days: the simulator and the real processes agree on every state", n, sc.Days)
}

// sampleStates runs dstatus --json on every installed machine, two at a
// time, and returns each one's status (unlicensed without a store).
func sampleStates(t *testing.T, run func([]string, ...string) (int, string), dir string, installed []bool, now []string) []license.Status {
	t.Helper()
	got := make([]license.Status, len(installed))
	var wg sync.WaitGroup
	next := make(chan int)
	for range 2 {
		wg.Go(func() {
			for i := range next {
				env := append([]string{"VOLACT_STORE=" + filepath.Join(dir, "m"+strconv.Itoa(i)), "VOLACT_MACHINE_ID=machine-" + strconv.Itoa(i)}, now...)
				code, out := run(env, "dstatus", "--json")
				var doc struct {
					Products []struct {
						Status string `json:"status"`
					} `json:"products"`
				}
				if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Products) != 1 {
					t.Errorf("machine %d: dstatus --json: exit %d\n%s", i, code, out)
					continue
				}
				got[i] = parseStatus(doc.Products[0].Status)
			}
		})
	}
	for i, ok := range installed {
		if ok {
			next <- i
		}
	}
	close(next)
	wg.Wait()
	return got
}

func parseStatus(s string) license.Status {
	for _, st := range []license.Status{license.Unlicensed, license.Licensed, license.OOBGrace, license.OOTGrace, license.Notification} {
		if st.String() == s {
			return st
		}
	}
	return -1
}

// freeAddr is a loopback address with a free port.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startDaemon runs volactd with args (a serve verb on a fixed address)
// and returns once it listens; the function returned stops it gracefully
// (SIGTERM) and waits for it.
func startDaemon(t *testing.T, env []string, args ...string) func() {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	cmd := exec.Command("volactd", append(args, "--addr-file", addrFile)...)
	cmd.Env = append(os.Environ(), env...)
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop := sync.OnceFunc(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	t.Cleanup(stop)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			return stop
		}
		select {
		case <-done:
			t.Fatalf("volactd %s exited before listening:\n%s", strings.Join(args, " "), logs.String())
		default:
		}
	}
	t.Fatalf("volactd %s did not listen within 30s:\n%s", strings.Join(args, " "), logs.String())
	return nil
}
