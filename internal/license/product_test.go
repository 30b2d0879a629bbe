package license

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
)

func TestInstallKeyGrace(t *testing.T) {
	day20 := t0.Add(20 * day)
	kms := withGrant(keyed(KMSClient), kmsGrant(t0, "hw1"))
	mak := withGrant(keyed(MAK), makGrant(t0, "hw1"))
	tests := []struct {
		name       string
		p          Product
		ch         Channel
		partial    string
		graceStart time.Time
		keepsGrant bool
	}{
		{"first key starts grace", Product{}, KMSClient, "T83GX", day20, false},
		{"other key same channel keeps grace, drops grant", kms, KMSClient, "ZZZZZ", t0, false},
		{"same key again keeps grace and grant", kms, KMSClient, "T83GX", t0, true},
		{"uninstall then install keeps grace", UninstallKey(mak), MAK, "T83GX", t0, false},
		{"channel change keeps grace, drops grant", kms, MAK, "T83GX", t0, false},
		{"MAK to KMS client key keeps grace", keyed(MAK), KMSClient, "T83GX", t0, false},
		{"KMS client key back to MAK keeps grace", keyed(KMSClient), MAK, "ZZZZZ", t0, false},
		{"unpkey then key of another channel keeps grace", UninstallKey(keyed(MAK)), KMSClient, "T83GX", t0, false},
		{"retail to MAK keeps grace", keyed(Retail), MAK, "T83GX", t0, false},
		{"hardware-change grace becomes initial grace", observed(mak, t0.Add(5*day)), MAK, "ZZZZZ", t0.Add(5 * day), false},
		{"rearmed grace kept", mustRearm(t, keyed(MAK), t0.Add(10*day)), MAK, "ZZZZZ", t0.Add(10 * day), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := InstallKey(tt.p, "suite-pro", "Suite Pro", tt.ch, tt.partial, day20, "hw1", "cmid-new")
			if !got.GraceStart.Equal(tt.graceStart) || got.GraceKind != OOBGrace {
				t.Errorf("grace %v kind %s, want %v oob_grace", got.GraceStart, got.GraceKind, tt.graceStart)
			}
			if (got.Grant != nil) != tt.keepsGrant {
				t.Errorf("grant kept = %v, want %v", got.Grant != nil, tt.keepsGrant)
			}
			if got.PartialKey != tt.partial || got.Channel != tt.ch || !got.KeyInstalledAt.Equal(day20) {
				t.Errorf("key fields %q %q %v", got.PartialKey, got.Channel, got.KeyInstalledAt)
			}
		})
	}
}

func mustRearm(t *testing.T, p Product, now time.Time) Product {
	t.Helper()
	p, err := Rearm(p, Policy{}, now, "cmid-rearmed")
	if err != nil {
		t.Fatalf("rearm: %v", err)
	}
	return p
}

// Replacing the key on day 20 must not give a new 30 days: notification
// still begins on day 30.
func TestReinstallDoesNotRestartGrace(t *testing.T) {
	p := InstallKey(keyed(MAK), "suite-pro", "Suite Pro", MAK, "NEWKY", t0.Add(20*day), "hw1", "x")
	p = InstallKey(UninstallKey(p), "suite-pro", "Suite Pro", MAK, "T83GX", t0.Add(25*day), "hw1", "x")
	if got := Evaluate(p, Policy{}, t0.Add(30*day), "hw1").Status; got != Notification {
		t.Errorf("day 30 after reinstalls: %s, want notification", got)
	}
}

func TestInstallKeyIdentity(t *testing.T) {
	p := InstallKey(Product{}, "suite-pro", "Suite Pro", MAK, "T83GX", t0, "hw1", "cmid-1")
	if p.CMID != "cmid-1" || p.HardwareID != "hw1" || p.SKU != "suite-pro" || p.Name != "Suite Pro" {
		t.Errorf("first install: %+v", p)
	}
	p = InstallKey(p, "suite-pro", "Suite Pro", MAK, "ZZZZZ", t0.Add(day), "hw9", "cmid-2")
	if p.CMID != "cmid-1" {
		t.Errorf("CMID %q replaced on reinstall, want cmid-1 kept", p.CMID)
	}
	if p.HardwareID != "hw9" {
		t.Errorf("HardwareID %q, want hw9", p.HardwareID)
	}
	failed := RecordFailure(p, noHost, t0.Add(2*day), nil)
	if q := InstallKey(failed, "suite-pro", "Suite Pro", MAK, "NEWKY", t0.Add(3*day), "hw9", ""); !q.LastAttempt.IsZero() || q.LastResult != 0 {
		t.Errorf("new key kept last attempt %v / 0x%08X", q.LastAttempt, q.LastResult)
	}
}

func TestUninstallKeepsHistory(t *testing.T) {
	p := withGrant(keyed(KMSClient), kmsGrant(t0, "hw1"))
	p.RearmCount = 3
	u := UninstallKey(p)
	if u.PartialKey != "" || u.Grant != nil || !u.KeyInstalledAt.IsZero() {
		t.Errorf("key or grant left: %+v", u)
	}
	if !u.GraceStart.Equal(t0) || u.RearmCount != 3 || u.CMID != "cmid-1" {
		t.Errorf("grace %v rearms %d cmid %q not kept", u.GraceStart, u.RearmCount, u.CMID)
	}
	if p.Grant == nil || p.PartialKey == "" {
		t.Error("UninstallKey changed its argument")
	}
}

func TestApplyGrantAndFailure(t *testing.T) {
	p := observed(withGrant(keyed(MAK), makGrant(t0, "hw1")), t0.Add(day))
	g := makGrant(t0.Add(2*day), "hw2")
	a := ApplyGrant(RecordFailure(p, noHost, t0.Add(day), nil), g, nil, t0.Add(2*day))
	if a.GraceKind != OOBGrace || a.LastResult != 0 || !a.LastAttempt.Equal(t0.Add(2*day)) {
		t.Errorf("after reactivation: kind %s result 0x%08X attempt %v", a.GraceKind, a.LastResult, a.LastAttempt)
	}
	if got := Evaluate(a, Policy{}, t0.Add(1000*day), "hw2"); got.Status != Licensed || !got.Permanent {
		t.Errorf("reactivated on new hardware: %s permanent %v", got.Status, got.Permanent)
	}
	if p.Grant.HardwareID != "hw1" {
		t.Error("ApplyGrant changed the argument's grant")
	}

	tests := []struct {
		name     string
		iv       *Intervals
		act, ren int
	}{
		{"nil keeps", nil, 60, 2880},
		{"host values", &Intervals{Activation: 30, Renewal: 1440}, 30, 1440},
		{"out of range ignored", &Intervals{Activation: 14, Renewal: 43201}, 60, 2880},
		{"zero ignored", &Intervals{}, 60, 2880},
		{"bounds accepted", &Intervals{Activation: 15, Renewal: 43200}, 15, 43200},
	}
	base := keyed(KMSClient)
	base.ActivationInterval, base.RenewalInterval = 60, 2880
	for _, tt := range tests {
		for _, apply := range []func(Product) Product{
			func(p Product) Product { return ApplyGrant(p, kmsGrant(t0, "hw1"), tt.iv, t0) },
			func(p Product) Product { return RecordFailure(p, uint32(hresult.CountTooLow), t0, tt.iv) },
		} {
			got := apply(base)
			if got.ActivationInterval != tt.act || got.RenewalInterval != tt.ren {
				t.Errorf("%s: intervals %d/%d, want %d/%d", tt.name, got.ActivationInterval, got.RenewalInterval, tt.act, tt.ren)
			}
		}
	}
	if got := RecordFailure(base, uint32(hresult.CountTooLow), t0.Add(time.Hour), nil); got.LastResult != uint32(hresult.CountTooLow) || !got.LastAttempt.Equal(t0.Add(time.Hour)) {
		t.Errorf("failure not recorded: 0x%08X at %v", got.LastResult, got.LastAttempt)
	}
}

func TestObserve(t *testing.T) {
	mak := withGrant(keyed(MAK), makGrant(t0, "hw1"))
	first := Observe(mak, t0.Add(10*day), "hw2")
	if first.GraceKind != OOTGrace || !first.GraceStart.Equal(t0.Add(10*day)) || first.HardwareID != "hw2" {
		t.Fatalf("first change: kind %s start %v hw %q", first.GraceKind, first.GraceStart, first.HardwareID)
	}
	again := Observe(first, t0.Add(20*day), "hw3")
	if !again.GraceStart.Equal(t0.Add(10 * day)) {
		t.Errorf("second change restarted OOT grace at %v", again.GraceStart)
	}
	same := Observe(mak, t0.Add(10*day), "hw1")
	if same.GraceKind != OOBGrace || !same.GraceStart.Equal(t0) {
		t.Errorf("same hardware started a grace: kind %s start %v", same.GraceKind, same.GraceStart)
	}
	unact := Observe(keyed(MAK), t0.Add(10*day), "hw2")
	if unact.GraceKind != OOBGrace || !unact.GraceStart.Equal(t0) || unact.HardwareID != "hw2" {
		t.Errorf("unactivated product: kind %s start %v hw %q", unact.GraceKind, unact.GraceStart, unact.HardwareID)
	}
	if mak.HardwareID != "hw1" || mak.GraceKind != OOBGrace {
		t.Error("Observe changed its argument")
	}
}

func TestRearm(t *testing.T) {
	kms := withGrant(keyed(KMSClient), kmsGrant(t0, "hw1"))
	tests := []struct {
		name     string
		p        Product
		pol      Policy
		at       time.Time
		wantCode hresult.Code // 0: success
		wantMsg  string
	}{
		{"first", keyed(MAK), Policy{}, t0.Add(day), 0, ""},
		{"fifth allowed", withRearms(keyed(MAK), 4), Policy{}, t0.Add(day), 0, ""},
		{"sixth refused", withRearms(keyed(MAK), 5), Policy{}, t0.Add(day), hresult.RearmExhausted, "no rearms left: 5 of 5 used"},
		{"catalog limit", withRearms(keyed(MAK), 1), Policy{RearmLimit: 1}, t0.Add(day), hresult.RearmExhausted, "no rearms left: 1 of 1 used"},
		{"in notification", keyed(MAK), Policy{}, t0.Add(45 * day), 0, ""},
		{"MAK activated", withGrant(keyed(MAK), makGrant(t0, "hw1")), Policy{}, t0.Add(day), hresult.RearmNotAllowed, "rearm is not allowed while the product is activated"},
		{"KMS valid", kms, Policy{}, t0.Add(179 * day), hresult.RearmNotAllowed, "rearm is not allowed while the product is activated"},
		{"KMS expired", kms, Policy{}, t0.Add(181 * day), 0, ""},
		{"MAK on new hardware", observed(withGrant(keyed(MAK), makGrant(t0, "hw1")), t0.Add(day)), Policy{}, t0.Add(2 * day), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Rearm(tt.p, tt.pol, tt.at, "cmid-new")
			if tt.wantCode != 0 {
				var he *hresult.Error
				if !errors.As(err, &he) || he.Code != tt.wantCode || he.Error() != tt.wantMsg {
					t.Fatalf("error %v, want %s %q", err, tt.wantCode, tt.wantMsg)
				}
				if !reflect.DeepEqual(got, tt.p) {
					t.Error("refused rearm changed the product")
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if got.RearmCount != tt.p.RearmCount+1 || got.CMID != "cmid-new" || got.Grant != nil ||
				!got.GraceStart.Equal(tt.at) || got.GraceKind != OOBGrace {
				t.Errorf("after rearm: count %d cmid %q grant %v grace %v %s",
					got.RearmCount, got.CMID, got.Grant, got.GraceStart, got.GraceKind)
			}
			if tt.p.CMID == "cmid-new" {
				t.Fatal("test product already had the new CMID")
			}
			e := Evaluate(got, tt.pol, tt.at.Add(30*day-time.Nanosecond), got.HardwareID)
			if e.Status != OOBGrace {
				t.Errorf("29.99 days after rearm: %s, want oob_grace", e.Status)
			}
		})
	}
}

func withRearms(p Product, n int) Product { p.RearmCount = n; return p }

func TestProductJSON(t *testing.T) {
	p := ApplyGrant(keyed(KMSClient), kmsGrant(t0, "hw1"), &Intervals{Activation: 30, Renewal: 1440}, t0)
	p = RecordFailure(p, noHost, t0.Add(time.Hour), nil)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"sku":"suite-pro"`, `"channel":"kms_client"`, `"partial_key":"T83GX"`,
		`"grace_start":"2025-01-01T00:00:00Z"`, `"grace_kind":2`, `"expires_at":"2025-06-30T00:00:00Z"`,
		`"activation_interval":30`, `"renewal_interval":1440`, `"last_result":3221549172`, `"cmid":"cmid-1"`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("JSON lacks %s: %s", field, b)
		}
	}
	var back Product
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, p) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, p)
	}
	mak, _ := json.Marshal(makGrant(t0, "hw1"))
	if strings.Contains(string(mak), "expires_at") {
		t.Errorf("MAK grant has an expiry: %s", mak)
	}
}
