package catalog

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/volact/volact/internal/hresult"
)

func TestAllowsOverride(t *testing.T) {
	root := testRoot(1)
	tests := []struct {
		name          string
		allow         []string
		clock, hwid   bool
		signatureOver bool
	}{
		{name: "no policy (catalogs before policies)", allow: nil},
		{name: "clock only", allow: []string{OverrideClock}, clock: true},
		{name: "machine id only", allow: []string{OverrideMachineID}, hwid: true},
		{name: "both", allow: []string{OverrideClock, OverrideMachineID}, clock: true, hwid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := Template(root.Public().(ed25519.PublicKey), issued)
			tmpl.Policy.AllowOverrides = tt.allow
			data := signed(t, tmpl, root)
			if tt.allow == nil && bytes.Contains(data, []byte("policy")) {
				t.Errorf("a catalog without policy writes one:\n%s", data)
			}
			c, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := c.AllowsOverride(OverrideClock); got != tt.clock {
				t.Errorf("AllowsOverride(clock) = %v, want %v", got, tt.clock)
			}
			if got := c.AllowsOverride(OverrideMachineID); got != tt.hwid {
				t.Errorf("AllowsOverride(machine-id) = %v, want %v", got, tt.hwid)
			}
			if (c.CheckOverride(OverrideClock) == nil) != tt.clock {
				t.Errorf("CheckOverride(clock) disagrees with AllowsOverride")
			}
		})
	}
	var none *Catalog
	if none.AllowsOverride(OverrideClock) {
		t.Error("a nil catalog allows the clock override")
	}
}

func TestOverrideRefused(t *testing.T) {
	c := Template(testRoot(1).Public().(ed25519.PublicKey), issued)
	tests := []struct{ name, want string }{
		{OverrideClock, "VOLACT_CLOCK_OFFSET is set but the catalog of volact activation service does not allow the clock override (volactd mak init --allow-overrides clock)"},
		{OverrideMachineID, "VOLACT_MACHINE_ID is set but the catalog of volact activation service does not allow the machine-id override (volactd mak init --allow-overrides machine-id)"},
	}
	for _, tt := range tests {
		err := c.CheckOverride(tt.name)
		var he *hresult.Error
		if !errors.As(err, &he) || he.Code != hresult.InvalidArg || he.Exit != hresult.ExitInvalid {
			t.Fatalf("CheckOverride(%s) = %v, want InvalidArg exit 3", tt.name, err)
		}
		if he.Error() != tt.want || he.Hint != "" {
			t.Errorf("message %q (hint %q)\nwant    %q", he.Error(), he.Hint, tt.want)
		}
	}
}

// TestPolicySigned: the signature covers the policy, so nobody but the
// root's holder can allow an override.
func TestPolicySigned(t *testing.T) {
	root := testRoot(1)
	tmpl := Template(root.Public().(ed25519.PublicKey), issued)
	tmpl.Policy.AllowOverrides = []string{OverrideClock}
	data := signed(t, tmpl, root)
	if _, err := Parse(data); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	edits := map[string][]byte{
		"override added":   bytes.Replace(data, []byte(`"clock"`), []byte(`"clock", "machine-id"`), 1),
		"override renamed": bytes.Replace(data, []byte(`"clock"`), []byte(`"machine-id"`), 1),
		"policy emptied":   bytes.Replace(data, []byte(`"allow_overrides": [`+"\n        "+`"clock"`+"\n      "+`]`), nil, 1),
	}
	none := Template(root.Public().(ed25519.PublicKey), issued)
	plain := signed(t, none, root)
	edits["policy added to a catalog without one"] = bytes.Replace(plain, []byte(`"products": [`), []byte(`"policy": {"allow_overrides": ["clock"]},`+"\n    "+`"products": [`), 1)
	for name, edited := range edits {
		t.Run(name, func(t *testing.T) {
			if bytes.Equal(edited, data) || bytes.Equal(edited, plain) {
				t.Fatal("the edit changed nothing")
			}
			_, err := Parse(edited)
			wantCatalogInvalid(t, err, "does not verify")
		})
	}
}

func TestPolicyContentRules(t *testing.T) {
	root := testRoot(1)
	for name, allow := range map[string][]string{
		`override "debug"`: {"debug"},
		"twice":            {OverrideClock, OverrideClock},
	} {
		t.Run(name, func(t *testing.T) {
			c := Template(root.Public().(ed25519.PublicKey), issued)
			c.Policy.AllowOverrides = allow
			_, err := c.Sign(root)
			wantCatalogInvalid(t, err, name)
		})
	}
}

func TestParseOverrides(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{"", []string{}, ""},
		{"clock", []string{"clock"}, ""},
		{" machine-id , CLOCK,clock", []string{"clock", "machine-id"}, ""},
		{"clock,time", nil, `"time" is not an override`},
	}
	for _, tt := range tests {
		got, err := ParseOverrides(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || hresult.From(err).Exit != hresult.ExitInvalid {
				t.Errorf("ParseOverrides(%q) = %v, %v; want error %q exit 3", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseOverrides(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestRootFingerprint(t *testing.T) {
	pub := testRoot(1).Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	want := "sha256:" + hex.EncodeToString(sum[:])
	if got := RootFingerprint(pub); got != want || len(got) != 7+64 {
		t.Fatalf("RootFingerprint = %q, want %q", got, want)
	}
	if !strings.HasPrefix(strings.TrimPrefix(want, "sha256:"), Fingerprint(pub)) {
		t.Errorf("the short fingerprint %s is not the start of the full one", Fingerprint(pub))
	}
	for in, ok := range map[string]bool{
		want: true,
		" " + strings.ToUpper(want[:7]) + strings.ToUpper(want[7:]) + "\n": true,
		want[7:]:                     false, // no prefix
		want[:len(want)-1]:           false, // 63 digits
		"sha256:" + Fingerprint(pub): false, // short form
		want[:len(want)-1] + "g":     false,
		"sha1:" + want[7:]:           false,
	} {
		got, err := ParseRootFingerprint(in)
		if ok && (err != nil || got != want) {
			t.Errorf("ParseRootFingerprint(%q) = %q, %v; want %q", in, got, err, want)
		}
		if !ok && (err == nil || hresult.From(err).Exit != hresult.ExitInvalid) {
			t.Errorf("ParseRootFingerprint(%q) = %q, %v; want an error with exit 3", in, got, err)
		}
	}
}

func TestCheckTrusted(t *testing.T) {
	mine, theirs := testRoot(1), testRoot(2)
	c, err := Parse(signed(t, Template(theirs.Public().(ed25519.PublicKey), issued), theirs))
	if err != nil {
		t.Fatal(err)
	}
	fpMine, fpTheirs := RootFingerprint(mine.Public().(ed25519.PublicKey)), RootFingerprint(theirs.Public().(ed25519.PublicKey))
	if err := c.CheckTrusted(nil); err != nil {
		t.Errorf("no trusted roots: %v", err)
	}
	if err := c.CheckTrusted([]string{fpMine, strings.ToUpper(fpTheirs)}); err != nil {
		t.Errorf("its root among the trusted: %v", err)
	}
	err = c.CheckTrusted([]string{fpMine})
	wantCatalogInvalid(t, err, "signed by root "+fpTheirs+", which this volact does not trust (it trusts "+fpMine+")")
	if err := c.CheckTrusted([]string{"sha256:abc"}); hresult.CodeOf(err) != hresult.InvalidArg {
		t.Errorf("malformed trusted root: %v", err)
	}
}
