package discovery_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/volact/volact/internal/discovery"
	"github.com/volact/volact/internal/hresult"
)

// TestBadSRVTargetsSkipped publishes SRV targets that are not host names
// (an escape sequence, an underscore, port 0) next to a good one: the good
// one is used, each bad one is skipped with a note that shows no raw
// control character.
func TestBadSRVTargetsSkipped(t *testing.T) {
	s := startDNS(t)
	s.AddSRV("_vlmcs._tcp.corp.test", 0, 0, 1688, "\x1b]0;pwn\x07evil.corp.test")
	s.AddSRV("_vlmcs._tcp.corp.test", 1, 0, 1688, "kms_1.corp.test")
	s.AddSRV("_vlmcs._tcp.corp.test", 2, 0, 0, "zero.corp.test")
	s.AddSRV("_vlmcs._tcp.corp.test", 3, 0, 1689, "kms2.corp.test")
	s.AddSRV("_vlmcs._tcp.bad.test", 0, 0, 1688, "kms_1.bad.test")
	var notes []string
	cfg := discovery.Config{Domains: []string{"corp.test"}, Resolver: discovery.NewResolver(s.Addr),
		Note: func(m string) { notes = append(notes, m) }}
	hosts, err := discovery.LookupHosts(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(hosts); !slices.Equal(got, []string{"kms2.corp.test:1689/srv"}) {
		t.Fatalf("hosts %v, want only kms2", got)
	}
	if len(notes) < 2 {
		t.Fatalf("notes %q, want one per skipped target", notes)
	}
	for _, n := range notes {
		if strings.ContainsAny(n, "\x1b\x07") {
			t.Fatalf("note carries a raw control character: %q", n)
		}
	}

	// Only bad targets: no SRV record usable, the reason in the message.
	cfg.Domains = []string{"bad.test"}
	_, err = discovery.LookupHosts(context.Background(), cfg)
	var he *hresult.Error
	if !errors.As(err, &he) || he.Code != hresult.NoSRV || !strings.Contains(he.Error(), "kms_1.bad.test") {
		t.Fatalf("err = %v, want NoSRV naming the skipped target", err)
	}

	// A domain that is not a name is never looked up.
	cfg.Domains = []string{"corp.test\x1b[2J"}
	if _, err = discovery.LookupHosts(context.Background(), cfg); !errors.As(err, &he) || he.Code != hresult.NoSRV || strings.Contains(he.Error(), "\x1b") {
		t.Fatalf("err = %v, want NoSRV without raw escape", err)
	}
}
