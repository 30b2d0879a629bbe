package client_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
)

// TestCheckLicensed is dstatus --check: every listed product licensed, and
// at least one.
func TestCheckLicensed(t *testing.T) {
	ps := func(st ...license.Status) *client.Report {
		r := &client.Report{Products: []client.ProductStatus{}}
		for i, s := range st {
			r.Products = append(r.Products, client.ProductStatus{SKU: string(rune('a' + i)), Status: s})
		}
		return r
	}
	tests := []struct {
		name string
		r    *client.Report
		want string // "" = licensed
	}{
		{"all licensed", ps(license.Licensed, license.Licensed), ""},
		{"one in grace", ps(license.Licensed, license.OOBGrace), "not licensed: b is oob_grace"},
		{"two bad", ps(license.Notification, license.Unlicensed), "not licensed: a is notification, b is unlicensed"},
		{"none", ps(), "not licensed: no product key is installed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.CheckLicensed()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e := hresult.From(err)
			if e == nil || e.Error() != tt.want || e.Code != hresult.GraceExpired || e.Exit != hresult.ExitNotLicensed {
				t.Fatalf("got %v, want %q (exit 6)", err, tt.want)
			}
		})
	}
}

// TestFailures keeps the failed attempts only, never nil.
func TestFailures(t *testing.T) {
	h := []client.HistoryEntry{{SKU: "a", Code: hresult.OK}, {SKU: "b", Code: hresult.NoHost}, {SKU: "c", Code: hresult.OK}}
	if got := client.Failures(h); len(got) != 1 || got[0].SKU != "b" {
		t.Fatalf("got %+v", got)
	}
	if got := client.Failures(nil); got == nil || len(got) != 0 {
		t.Fatalf("got %#v, want an empty slice", got)
	}
}

// TestStatusJSON: typed status and codes keep the JSON of design §8.
func TestStatusJSON(t *testing.T) {
	p := client.ProductStatus{SKU: "suite-pro", Status: license.OOBGrace, StatusCode: 2, Reason: hresult.Optional(hresult.NoHost)}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `{"sku":"suite-pro","name":"","channel":"","status":"oob_grace","status_code":2,"reason":"0xC004F074","reason_text":""`) {
		t.Errorf("ProductStatus JSON: %s", b)
	}
	var back client.ProductStatus
	if err := json.Unmarshal(b, &back); err != nil || back.Status != license.OOBGrace || back.Reason.Code() != hresult.NoHost {
		t.Errorf("round trip: %+v %v", back, err)
	}
	p.Status, p.Reason = license.Licensed, 0
	if b, _ = json.Marshal(p); !strings.Contains(string(b), `"status":"licensed","status_code":2,"reason":"",`) {
		t.Errorf("no reason: %s", b)
	}
	r := client.Result{SKU: "suite-pro", Status: license.Licensed, Code: hresult.OK, CurrentCount: -1}
	if b, _ = json.Marshal(r); string(b) != `{"sku":"suite-pro","name":"","status":"licensed","code":"0x00000000","message":"","current_count":-1}` {
		t.Errorf("Result JSON: %s", b)
	}
	var rb client.Result
	if err := json.Unmarshal([]byte(`{"sku":"x","status":"oot_grace","code":"0xC004F038"}`), &rb); err != nil || rb.Status != license.OOTGrace || rb.Code != hresult.CountTooLow {
		t.Errorf("Result from JSON: %+v %v", rb, err)
	}
	if err := json.Unmarshal([]byte(`{"status":"bogus"}`), &rb); err == nil {
		t.Error("an unknown status was accepted")
	}
}
