package protocol

import (
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
)

func TestCheckGrant(t *testing.T) {
	day := 24 * time.Hour
	host := &Certificate{Subject: "kms1", Role: RoleKMSHost, Groups: []string{"suite"}, IssuedAt: now, NotAfter: now.Add(365 * day)}
	service := &Certificate{Subject: "service", Role: RoleService, IssuedAt: now, NotAfter: now.Add(365 * day)}
	roleless := &Certificate{Subject: "service", IssuedAt: now}
	suite := &GrantRules{Group: "suite", KMSValidity: 180 * day}
	kms := sampleGrant()
	mak := Grant{Kind: KindMAK, SKU: "suite-pro", HardwareID: "hw-1", IssuedAt: now.Add(day), Issuer: "service", Nonce: "n"}
	with := func(g Grant, edit func(*Grant)) Grant { edit(&g); return g }

	tests := []struct {
		name  string
		g     Grant
		cert  *Certificate
		rules *GrantRules
		want  string // "" = accepted, else a fragment of the refusal
	}{
		{"KMS grant from its host", kms, host, suite, ""},
		{"KMS grant with the full validity", with(kms, func(g *Grant) { g.ExpiresAt = g.IssuedAt.Add(180 * day) }), host, suite, ""},
		{"KMS grant, group in another case", kms, host, &GrantRules{Group: "SUITE", KMSValidity: 180 * day}, ""},
		{"MAK grant from the service", mak, service, suite, ""},
		{"MAK grant for a SKU the catalog lacks", mak, service, nil, ""},
		{"KMS grant for a SKU the catalog lacks", kms, host, nil, ""},
		{"host issued just before its certificate (clock skew)", with(kms, func(g *Grant) { g.IssuedAt = now.Add(-3 * time.Hour); g.ExpiresAt = g.IssuedAt.Add(day) }), host, suite, ""},

		{"host claims a permanent MAK activation", with(kms, func(g *Grant) { g.Kind, g.ExpiresAt = KindMAK, time.Time{} }), host, suite, "signs only KMS grants"},
		{"host claims MAK even for an unknown SKU", with(kms, func(g *Grant) { g.Kind = KindMAK }), host, nil, "signs only KMS grants"},
		{"KMS grant valid until 2099", with(kms, func(g *Grant) { g.ExpiresAt = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC) }), host, suite, "at most 180 days"},
		{"KMS grant one second too long", with(kms, func(g *Grant) { g.ExpiresAt = g.IssuedAt.Add(180*day + time.Second) }), host, suite, "at most 180 days"},
		{"KMS grant without expiry", with(kms, func(g *Grant) { g.ExpiresAt = time.Time{} }), host, suite, "no valid expiry"},
		{"KMS grant expiring at issue", with(kms, func(g *Grant) { g.ExpiresAt = g.IssuedAt }), host, suite, "no valid expiry"},
		{"KMS grant for another group", kms, host, &GrantRules{Group: "server", KMSValidity: 180 * day}, "does not cover"},
		{"KMS grant after the certificate expired", with(kms, func(g *Grant) { g.IssuedAt = host.NotAfter.Add(time.Second); g.ExpiresAt = g.IssuedAt.Add(day) }), host, suite, "after its signer's certificate expired"},
		{"KMS grant backdated before the certificate", with(kms, func(g *Grant) { g.IssuedAt = now.Add(-5 * time.Hour) }), host, suite, "before its signer's certificate"},
		{"KMS grant without issue time", with(kms, func(g *Grant) { g.IssuedAt = time.Time{} }), host, suite, "no issue time"},
		{"zero validity in the rules", kms, host, &GrantRules{Group: "suite"}, "at most 0 days"},
		{"service signs a KMS grant", kms, service, suite, "signs only MAK grants"},
		{"certificate without role", mak, roleless, suite, "without a role"},
		{"certificate of an unknown role", mak, &Certificate{Subject: "x", Role: "admin", IssuedAt: now}, suite, `"admin" certificate`},
		{"no certificate", mak, nil, suite, "no certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckGrant(tt.g, tt.cert, tt.rules)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantCode(t, err, hresult.BadSignature, tt.want)
			if e := hresult.From(err); e.Exit != hresult.ExitInvalid {
				t.Errorf("exit %d, want %d", e.Exit, hresult.ExitInvalid)
			}
		})
	}
}
