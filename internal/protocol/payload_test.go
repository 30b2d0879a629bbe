package protocol

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// TestAppendGrantIsJSON checks that the grant fast path writes what
// encoding/json writes, and gives up where encoding/json escapes.
func TestAppendGrantIsJSON(t *testing.T) {
	now := time.Date(2026, 11, 30, 15, 4, 5, 123456789, time.UTC)
	full := Grant{Kind: KindKMS, SKU: "suite-pro", HardwareID: "hw-1", CMID: "c-1", IssuedAt: now, ExpiresAt: now.Add(180 * 24 * time.Hour),
		ActivationInterval: 120, RenewalInterval: 10080, CurrentCount: 25, Group: "suite", Issuer: "kms1", KeyLast5: "T83GX", Nonce: "n-1"}
	tests := []struct {
		name  string
		g     Grant
		plain bool
	}{
		{"full", full, true},
		{"zero", Grant{IssuedAt: time.Unix(0, 0).UTC()}, true},
		{"mak", Grant{Kind: KindMAK, SKU: "s", HardwareID: "h", IssuedAt: now.Truncate(time.Second), Issuer: "service", KeyLast5: "ABCDE", Nonce: "n"}, true},
		{"mak clone", Grant{Kind: KindMAK, SKU: "s", HardwareID: "h", IssuedAt: now.Truncate(time.Second), Issuer: "service", KeyLast5: "ABCDE", Nonce: "n", Instance: 2}, true},
		{"negative count", func() Grant { g := full; g.CurrentCount = -1; return g }(), true},
		{"quote", func() Grant { g := full; g.Nonce = `a"b`; return g }(), false},
		{"html", func() Grant { g := full; g.Issuer = "a<b&c>"; return g }(), false},
		{"control", func() Grant { g := full; g.CMID = "a\nb"; return g }(), false},
		{"non-ASCII", func() Grant { g := full; g.Issuer = "hôte"; return g }(), false},
		{"local time", func() Grant { g := full; g.IssuedAt = now.In(time.FixedZone("x", 3600)); return g }(), false},
		{"year 10000", func() Grant { g := full; g.ExpiresAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC); return g }(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := appendGrant(nil, &tt.g)
			if ok != tt.plain {
				t.Fatalf("appendGrant ok=%v, want %v", ok, tt.plain)
			}
			want, err := json.Marshal(tt.g)
			if ok && (err != nil || !bytes.Equal(got, want)) {
				t.Fatalf("appendGrant\n%s\nencoding/json (%v)\n%s", got, err, want)
			}
			if enc, err := EncodePayload(tt.g); err == nil && !bytes.Equal(enc, want) {
				t.Fatalf("EncodePayload\n%s\nwant\n%s", enc, want)
			}
		})
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		g := full
		g.IssuedAt = time.Unix(r.Int64N(1<<36)-1<<35, r.Int64N(1e9)).UTC()
		if r.IntN(3) == 0 {
			g.ExpiresAt = time.Time{}
		}
		g.CurrentCount, g.ActivationInterval, g.RenewalInterval = r.IntN(3)-1, r.IntN(2)*r.Int(), -r.IntN(2)
		if r.IntN(2) == 0 {
			g.CMID, g.Group, g.KeyLast5 = "", "", ""
		}
		got, ok := appendGrant(nil, &g)
		want, err := json.Marshal(g)
		if ok && (err != nil || !bytes.Equal(got, want)) {
			t.Fatalf("appendGrant\n%s\nencoding/json (%v)\n%s", got, err, want)
		}
	}
}
