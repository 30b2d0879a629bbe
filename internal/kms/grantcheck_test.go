package kms_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/kms/kmstest"
)

// TestHostSignsOnlyWithinItsCertificate: once its certificate has expired
// the host signs no grant (clients would refuse it) and says why.
func TestHostSignsOnlyWithinItsCertificate(t *testing.T) {
	a := kmstest.Authority(t, t0)
	f := &fixture{a: a, dir: kmstest.ActivatedDirFor(t, a, t0, 10*24*time.Hour, "suite-pro"), clk: &clock{t: t0}}
	f.open(t)
	for i := 1; i <= 5; i++ {
		f.activate(t, fmt.Sprintf("c%d", i), "suite-pro")
	}
	tests := []struct {
		name string
		at   time.Time
		want hresult.Code
	}{
		{"within the certificate", t0.Add(24 * time.Hour), hresult.OK},
		{"last second of the certificate", t0.Add(10 * 24 * time.Hour), hresult.OK},
		{"after the certificate expired", t0.Add(10*24*time.Hour + time.Second), hresult.ServiceFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.clk.set(tt.at)
			_, code, g := f.activate(t, "c1", "suite-pro")
			if code != tt.want || (code == hresult.OK) != (g != nil) {
				t.Fatalf("activation at %s: %s, want %s", tt.at.Format(time.RFC3339), code, tt.want)
			}
		})
	}
}
