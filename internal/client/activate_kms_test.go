package client_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/discovery/dnstest"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/productkey"
)

var kt0 = time.Date(2030, 5, 1, 8, 0, 0, 0, time.UTC)

// runHost serves a real KMS host for group suite on loopback and returns
// its port and a function that stops it.
func runHost(t *testing.T, a *authority.Authority, now func() time.Time) (int, func()) {
	t.Helper()
	h, err := kms.Open(kms.Options{Dir: kmstest.ActivatedDir(t, a, kt0, "suite-pro"), Now: now, Name: "kms"})
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
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
			h.Close()
		}
	}
	t.Cleanup(stop)
	return ln.Addr().(*net.TCPAddr).Port, stop
}

// newKMSClient makes a machine with the suite KMS client key installed.
func newKMSClient(t *testing.T, a *authority.Authority, dns, hwid string, now func() time.Time) *client.Client {
	t.Helper()
	c := client.New(client.Options{StoreDir: filepath.Join(t.TempDir(), "store"), CatalogPath: filepath.Join(a.Dir, authority.CatalogFile),
		Now: now, HardwareID: hwid, DNSServer: dns})
	k, err := a.Mint(productkey.KMSClient, "suite-pro", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.InstallKey(k.String()); err != nil {
		t.Fatal(err)
	}
	return c
}

func setDomain(t *testing.T, c *client.Client, domain string) {
	t.Helper()
	if _, err := c.Configure(func(s *client.Settings) error { s.Domain = domain; return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestKMSThresholdFailoverAndCache(t *testing.T) {
	a := kmstest.Authority(t, kt0)
	now := func() time.Time { return kt0 }
	port1, stop1 := runHost(t, a, now)
	port2, _ := runHost(t, a, now)
	dns, err := dnstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()
	dns.AddSRV("_vlmcs._tcp.corp.test", 0, 0, uint16(port1), "kms1.corp.test")
	dns.AddSRV("_vlmcs._tcp.corp.test", 10, 0, uint16(port2), "kms2.corp.test")
	dns.AddAddr("kms1.corp.test", "127.0.0.1")
	dns.AddAddr("kms2.corp.test", "127.0.0.1")

	var clients []*client.Client
	for i := 1; i <= 5; i++ {
		c := newKMSClient(t, a, dns.Addr, fmt.Sprintf("hw%d", i), now)
		setDomain(t, c, "corp.test")
		clients = append(clients, c)
		res, err := c.Activate(context.Background(), client.ActOptions{})
		if i < 5 {
			e := hresult.From(err)
			if e.Code != hresult.CountTooLow || e.Exit != hresult.ExitRefused || e.CurrentCount != i || res[0].CurrentCount != i {
				t.Fatalf("client %d: %v (count %d), want 0xC004F038 count %d", i, err, e.CurrentCount, i)
			}
			if len(res[0].Attempts) != 1 || res[0].Attempts[0].Result != fmt.Sprintf("count %d of 5 needed", i) || res[0].Status != license.OOBGrace {
				t.Fatalf("client %d attempts %+v status %s", i, res[0].Attempts, res[0].Status)
			}
			continue
		}
		if err != nil || res[0].Status != license.Licensed || res[0].CurrentCount != 5 {
			t.Fatalf("5th client: %v %+v", err, res)
		}
	}
	if _, err := clients[0].Activate(context.Background(), client.ActOptions{}); err != nil {
		t.Fatalf("first client on retry: %v", err)
	}
	rep, _ := clients[0].Status(false)
	k := rep.Products[0].KMS
	if k.Host != "kms1.corp.test" || k.Port != port1 || k.Source != "srv" || k.RenewalIntervalMinutes != 10080 || k.CurrentCount != 5 {
		t.Fatalf("dstatus kms block: %+v", k)
	}

	// The first host dies: the client fails over to the second (which has
	// counted nobody yet) and then sticks to it.
	stop1()
	res, err := clients[1].Activate(context.Background(), client.ActOptions{})
	if hresult.CodeOf(err) != hresult.CountTooLow || len(res[0].Attempts) != 2 ||
		res[0].Attempts[0].Result != "refused connection" || res[0].Attempts[1].Result != "count 1 of 5 needed" {
		t.Fatalf("failover: %v %+v", err, res[0].Attempts)
	}
	for i := 2; i <= 5; i++ {
		c := newKMSClient(t, a, dns.Addr, fmt.Sprintf("hw%d", i), now)
		setDomain(t, c, "corp.test")
		c.Activate(context.Background(), client.ActOptions{})
	}
	res, err = clients[2].Activate(context.Background(), client.ActOptions{})
	if err != nil || res[0].Host != "kms2.corp.test:"+strconv.Itoa(port2) {
		t.Fatalf("activation on the second host: %v %+v", err, res)
	}
	res, err = clients[2].Activate(context.Background(), client.ActOptions{})
	if err != nil || len(res[0].Attempts) != 1 || res[0].Attempts[0].Source != "cached" {
		t.Fatalf("the client does not stick to the host that answered: %v %+v", err, res[0].Attempts)
	}
}

func TestKMSDiscoveryFailures(t *testing.T) {
	a := kmstest.Authority(t, kt0)
	now := func() time.Time { return kt0 }
	dns, err := dnstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()
	c := newKMSClient(t, a, dns.Addr, "hw", now)

	setDomain(t, c, "empty.test")
	_, err = c.Activate(context.Background(), client.ActOptions{})
	if e := hresult.From(err); e.Code != hresult.NoSRV || e.Exit != hresult.ExitUnreachable || !strings.Contains(e.Msg, "_vlmcs._tcp.empty.test") {
		t.Fatalf("no SRV: %v", err)
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	if _, err := c.Configure(func(s *client.Settings) error {
		h, p, _ := client.ParseHostPort(dead)
		s.KMSHost, s.KMSPort = h, p
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	res, err := c.Activate(context.Background(), client.ActOptions{})
	e := hresult.From(err)
	if e.Code != hresult.NoHost || e.Exit != hresult.ExitUnreachable || !strings.Contains(e.Msg, dead+" (refused connection)") ||
		!strings.Contains(e.Hint, "retries at 2030-05-01T10:00:00Z") || res[0].Attempts[0].Source != "pinned" {
		t.Fatalf("pinned host down: %v / %s / %+v", err, e.Hint, res)
	}

	// A host certified by another root is not trusted.
	other := kmstest.Authority(t, kt0)
	port, _ := runHost(t, other, now)
	pin := func(s *client.Settings) error { s.KMSHost, s.KMSPort = "127.0.0.1", port; return nil }
	for i := range 5 { // that host's own clients bring it over its threshold
		oc := newKMSClient(t, other, "", fmt.Sprint("other", i), now)
		oc.Configure(pin)
		oc.Activate(context.Background(), client.ActOptions{})
	}
	c.Configure(pin)
	_, err = c.Activate(context.Background(), client.ActOptions{})
	if !errors.Is(err, hresult.Sentinel(hresult.BadSignature)) || !strings.Contains(err.Error(), "no KMS host activated suite-pro") {
		t.Fatalf("host of another authority: %v", err)
	}
	st, _ := c.Status(false)
	if st.Products[0].Status != license.OOBGrace {
		t.Fatalf("after refusals the product is %s", st.Products[0].Status)
	}
}
