package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/mak"
	"github.com/volact/volact/internal/productkey"
)

// clockAt is a settable clock for a client.
type clockAt struct{ t time.Time }

func (c *clockAt) now() time.Time { return c.t }

// TestGraceNotExtendedByKeySwitches plays every key switch that could
// restart the initial grace without rearm, on real clients with a moving
// clock: a MAK installed on day 0 is in notification on day 30 whatever
// keys were installed or removed in between.
func TestGraceNotExtendedByKeySwitches(t *testing.T) {
	s := newMAKService(t)
	const sku = "suite-pro"
	day := 24 * time.Hour
	tests := []struct {
		name string
		do   func(t *testing.T, c *client.Client, clk *clockAt)
	}{
		{"inpkey a published KMS client key and back", func(t *testing.T, c *client.Client, clk *clockAt) {
			clk.t = mt0.Add(20 * day)
			install(t, c, s.mint(t, productkey.KMSClient, sku, 0))
			clk.t = mt0.Add(25 * day)
			install(t, c, s.mint(t, productkey.MAK, sku, 5))
		}},
		{"inpkey another MAK of the same product", func(t *testing.T, c *client.Client, clk *clockAt) {
			clk.t = mt0.Add(29 * day)
			install(t, c, s.mint(t, productkey.MAK, sku, 5))
		}},
		{"unpkey and inpkey", func(t *testing.T, c *client.Client, clk *clockAt) {
			clk.t = mt0.Add(29 * day)
			if _, err := c.UninstallKey(""); err != nil {
				t.Fatal(err)
			}
			install(t, c, s.mint(t, productkey.KMSClient, sku, 0))
		}},
		{"clock set back, then KMS client key and MAK again", func(t *testing.T, c *client.Client, clk *clockAt) {
			clk.t = mt0.Add(25 * day)
			status(t, c, sku)
			clk.t = mt0.Add(2 * day)
			install(t, c, s.mint(t, productkey.KMSClient, sku, 0))
			clk.t = mt0.Add(7 * day)
			install(t, c, s.mint(t, productkey.MAK, sku, 5))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clockAt{mt0}
			c := client.New(client.Options{StoreDir: filepath.Join(t.TempDir(), "store"),
				CatalogPath: filepath.Join(s.auth.Dir, "catalog.json"), Now: clk.now, HardwareID: "hw-grace"})
			install(t, c, s.mint(t, productkey.MAK, sku, 5))
			tt.do(t, c, clk)
			if st := status(t, c, sku); st.Status == license.OOBGrace && st.GraceRemaining > 30*day-clk.t.Sub(mt0) {
				t.Fatalf("after the switch: %v of grace left", st.GraceRemaining)
			}
			// Day 30 on the trusted timeline: the grace of day 0 has run out.
			clk.t = clk.t.Add(30*day - clk.t.Sub(mt0) + time.Hour)
			if st := status(t, c, sku); st.Status != license.Notification {
				t.Fatalf("on day 30: %s, %v left, want notification", st.Status, st.GraceRemaining)
			}
		})
	}
}

func install(t *testing.T, c *client.Client, key string) {
	t.Helper()
	if _, err := c.InstallKey(key); err != nil {
		t.Fatal(err)
	}
}

// TestTrustedTimeAfterClockAheadOnce runs one writing command with the
// clock a year ahead. The grace it spent stays spent; the trusted time
// keeps counting (it does not freeze at the high-water mark); and a
// successful activation, which carries the system time, realigns the
// trusted time with the service's.
func TestTrustedTimeAfterClockAheadOnce(t *testing.T) {
	s := newMAKService(t) // the service's clock is mt0
	clk := &clockAt{mt0}
	c := client.New(client.Options{StoreDir: filepath.Join(t.TempDir(), "store"),
		CatalogPath: filepath.Join(s.auth.Dir, "catalog.json"), Now: clk.now, HardwareID: "hw-ahead", ServiceURL: s.url})
	install(t, c, s.mint(t, productkey.MAK, "suite-pro", 5))

	clk.t = mt0.Add(8760 * time.Hour)
	if _, err := c.Configure(func(*client.Settings) error { return nil }); err != nil {
		t.Fatal(err)
	}
	clk.t = mt0.Add(time.Hour)
	r1, err := c.Status(false)
	if err != nil {
		t.Fatal(err)
	}
	if !r1.ClockRolledBack || r1.Products[0].Status != license.Notification {
		t.Fatalf("after the year ahead: rolled back %v, %s", r1.ClockRolledBack, r1.Products[0].Status)
	}
	clk.t = mt0.Add(2 * time.Hour)
	r2, _ := c.Status(false)
	if got := r2.TrustedTime.Sub(r1.TrustedTime); got != time.Hour {
		t.Fatalf("an hour later the trusted time moved %v, want 1h (frozen?)", got)
	}
	if _, err := c.Activate(context.Background(), client.ActOptions{}); err != nil {
		t.Fatalf("activation with the clock right again: %v", err)
	}
	r3, _ := c.Status(false)
	if r3.ClockRolledBack || r3.TrustedTime.After(mt0.Add(2*time.Hour+time.Minute)) || r3.Products[0].Status != license.Licensed {
		t.Fatalf("after activating: rolled back %v, trusted %v, %s", r3.ClockRolledBack, r3.TrustedTime, r3.Products[0].Status)
	}
}

// editStore rewrites the client's state file through edit, with a correct
// checksum, as the machine's owner could.
func editStore(t *testing.T, dir string, edit func(state map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, "state.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]json.RawMessage
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	var state map[string]any
	dec := json.NewDecoder(bytes.NewReader(file["state"]))
	dec.UseNumber()
	if err := dec.Decode(&state); err != nil {
		t.Fatal(err)
	}
	edit(state)
	raw, err := json.Marshal(state)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	file["state"] = raw
	file["sha256"], _ = json.Marshal(hex.EncodeToString(sum[:]))
	out, _ := json.Marshal(file)
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// storedProduct is product sku in a decoded state (editStore).
func storedProduct(state map[string]any, sku string) map[string]any {
	return state["products"].(map[string]any)[sku].(map[string]any)
}

// resetState lowers the rearm count and moves the grace start later, as
// an owner who edits the store to win grace back would. The trusted time
// moves with it: a grace start after the trusted time is one no command
// writes, refused as tampering (license.Implausible).
func resetState(sku string, graceStart time.Time) func(map[string]any) {
	return func(state map[string]any) {
		p := storedProduct(state, sku)
		p["rearm_count"] = 0
		p["grace_start"] = graceStart.UTC().Format(time.RFC3339)
		state["trusted_time"] = graceStart.UTC().Format(time.RFC3339)
	}
}

// TestStateResetReportedByService activates, rearms nothing, edits the
// store and activates again against a real activation service: the
// activation succeeds, and the service records state_reset for the
// machine and counts it.
func TestStateResetReportedByService(t *testing.T) {
	s := newMAKService(t)
	key := s.mint(t, productkey.MAK, "suite-pro", 5)
	store := filepath.Join(t.TempDir(), "store")
	c := machine(t, s, store, s.url, "hw-reset", key)
	if _, err := c.Activate(context.Background(), client.ActOptions{}); err != nil {
		t.Fatal(err)
	}
	editStore(t, store, func(state map[string]any) { storedProduct(state, "suite-pro")["rearm_count"] = 3 })
	if _, err := c.Activate(context.Background(), client.ActOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := serviceResets(t, s, "hw-reset"); n != 0 {
		t.Fatalf("a higher rearm count is no reset, got %d events", n)
	}
	editStore(t, store, resetState("suite-pro", mt0.Add(time.Hour)))
	res, err := c.Activate(context.Background(), client.ActOptions{})
	if err != nil || res[0].Status != license.Licensed {
		t.Fatalf("activation after the edit: %v %+v", err, res)
	}
	if n := serviceResets(t, s, "hw-reset"); n != 1 {
		t.Fatalf("state_reset events for hw-reset: %d, want 1", n)
	}
	if got := metric(t, s.url, "volact_mak_state_resets_total"); got != "1" {
		t.Fatalf("volact_mak_state_resets_total = %q, want 1", got)
	}
	// The proxy installation request carries the state too.
	text, err := c.InstallationRequest("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := proxyExchange(s.url, text); err != nil {
		t.Fatal(err)
	}
	if n := serviceResets(t, s, ""); n != 1 {
		t.Fatalf("after a proxy exchange of the same state: %d events, want 1", n)
	}
}

func serviceResets(t *testing.T, s *makService, hwid string) int {
	t.Helper()
	evs, err := s.adm.Ledger.Events(context.Background(), hwid, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Kind == "state_reset" {
			n++
		}
	}
	return n
}

// TestStateResetReportedByKMSHost does the same against a real KMS host:
// the host's history shows a state_reset row for the machine's CMID, the
// counter increments and the client is activated.
func TestStateResetReportedByKMSHost(t *testing.T) {
	a := kmstest.Authority(t, kt0)
	now := func() time.Time { return kt0 }
	dir := kmstest.ActivatedDir(t, a, kt0, "suite-pro")
	port, stop := serveHost(t, dir, now)
	var target *client.Client
	var store string
	for i := 1; i <= 5; i++ {
		c := newKMSClient(t, a, "", fmt.Sprintf("hw-k%d", i), now)
		if _, err := c.Configure(func(s *client.Settings) error { s.KMSHost, s.KMSPort = "127.0.0.1", port; return nil }); err != nil {
			t.Fatal(err)
		}
		c.Activate(context.Background(), client.ActOptions{})
		target, store = c, c.StoreDir()
	}
	editStore(t, store, resetState("suite-pro", kt0.Add(2*time.Hour)))
	res, err := target.Activate(context.Background(), client.ActOptions{})
	if err != nil || res[0].Status != license.Licensed {
		t.Fatalf("activation after the edit: %v %+v", err, res)
	}
	if got := metric(t, fmt.Sprintf("http://127.0.0.1:%d", port), "volact_kms_state_resets_total"); got != "1" {
		t.Fatalf("volact_kms_state_resets_total = %q, want 1", got)
	}
	stop()
	var hist bytes.Buffer
	if err := kms.WriteHistory(&hist, dir, "csv", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(hist.Bytes(), []byte(",state_reset,")); n != 1 {
		t.Fatalf("history has %d state_reset rows, want 1:\n%s", n, hist.String())
	}
}

// serveHost serves the KMS host in dir on loopback and returns its port
// and a function that stops it (and writes its state).
func serveHost(t *testing.T, dir string, now func() time.Time) (int, func()) {
	t.Helper()
	h, err := kms.Open(kms.Options{Dir: dir, Now: now, Name: "kms"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx, ln, nil) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			<-done
			h.Close()
		})
	}
	t.Cleanup(stop)
	return ln.Addr().(*net.TCPAddr).Port, stop
}

// metric reads one unlabelled metric from base/metrics.
func metric(t *testing.T, base, name string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}

// proxyExchange posts an installation request to the service's proxy
// endpoint and returns the confirmation.
func proxyExchange(base, text string) (string, error) {
	body, _ := json.Marshal(mak.ProxyRequest{Request: text})
	resp, err := http.Post(base+"/v1/proxy", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out mak.ProxyResponse
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return "", fmt.Errorf("proxy: %s: %s", resp.Status, b)
	}
	return out.Confirmation, json.NewDecoder(resp.Body).Decode(&out)
}
