package client_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/discovery/dnstest"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/kms/kmstest"
)

// silentListener accepts connections on addr and never answers. It counts
// the connections it accepted and those the client closed.
func silentListener(t *testing.T, addr string) (string, *atomic.Int32, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted, closed atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					if _, err := c.Read(buf); err != nil {
						closed.Add(1)
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), &accepted, &closed
}

// A pinned name with two addresses, the first silent: the client starts
// the second address while the first has not answered, is answered by it,
// and cancels the first (its connection is closed without waiting for the
// 5 s timeout).
func TestKMSPinnedSilentAddress(t *testing.T) {
	a := kmstest.Authority(t, kt0)
	now := func() time.Time { return kt0 }
	port, _ := runHost(t, a, now)
	_, accepted, closed := silentListener(t, "127.0.0.2:"+strconv.Itoa(port))
	dns, err := dnstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()
	dns.AddAddr("kms.corp.test", "127.0.0.2")
	dns.AddAddr("kms.corp.test", "127.0.0.1")

	c := newKMSClient(t, a, dns.Addr, "hw1", now)
	if _, err := c.Configure(func(s *client.Settings) error { s.KMSHost, s.KMSPort = "kms.corp.test", port; return nil }); err != nil {
		t.Fatal(err)
	}
	res, err := c.Activate(context.Background(), client.ActOptions{})
	if hresult.CodeOf(err) != hresult.CountTooLow {
		t.Fatalf("act: %v, want the count of the second address", err)
	}
	at := res[0].Attempts
	if len(at) != 2 || !strings.HasSuffix(at[0].Host, "[127.0.0.2]") || at[0].Result != "no answer, cancelled when another host answered" ||
		!strings.HasSuffix(at[1].Host, "[127.0.0.1]") || at[1].Result != "count 1 of 5 needed" || at[0].Source != "pinned" {
		t.Fatalf("attempts %+v", at)
	}
	if accepted.Load() != 1 {
		t.Fatalf("the silent address accepted %d connections, want 1", accepted.Load())
	}
	// The cancelled attempt closes its connection; the race waited for it.
	for range 100 {
		if closed.Load() == 1 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the silent address's connection was not closed after the cancel")
}

// Two SRV records of one priority, the first silent: the second answers.
// (Host caching after an activation: e2e TestKMSFailoverSilentHost.)
func TestKMSSRVSilentHost(t *testing.T) {
	a := kmstest.Authority(t, kt0)
	now := func() time.Time { return kt0 }
	port, _ := runHost(t, a, now)
	silent, _, _ := silentListener(t, "127.0.0.1:0")
	_, sp, _ := net.SplitHostPort(silent)
	spn, _ := strconv.Atoi(sp)
	dns, err := dnstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()
	dns.AddSRV("_vlmcs._tcp.corp.test", 0, 0, uint16(spn), "silent.corp.test")
	dns.AddSRV("_vlmcs._tcp.corp.test", 0, 0, uint16(port), "kms.corp.test")
	dns.AddAddr("silent.corp.test", "127.0.0.1")
	dns.AddAddr("kms.corp.test", "127.0.0.1")

	c := newKMSClient(t, a, dns.Addr, "hw1", now)
	setDomain(t, c, "corp.test")
	res, _ := c.Activate(context.Background(), client.ActOptions{})
	at := res[0].Attempts
	if len(at) != 2 || !strings.HasPrefix(at[0].Host, "silent.corp.test:") || !strings.Contains(at[0].Result, "cancelled") ||
		at[1].Result != "count 1 of 5 needed" || res[0].Host != "kms.corp.test:"+strconv.Itoa(port) {
		t.Fatalf("attempts %+v host %s", at, res[0].Host)
	}
}
