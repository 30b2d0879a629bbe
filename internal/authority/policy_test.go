package authority

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
)

func TestInitAllowOverrides(t *testing.T) {
	tests := []struct {
		name  string
		opts  []InitOption
		allow []string
	}{
		{"default allows nothing", nil, nil},
		{"clock", []InitOption{AllowOverrides(catalog.OverrideClock)}, []string{"clock"}},
		{"both, in any order and case", []InitOption{AllowOverrides("Machine-ID", "clock")}, []string{"clock", "machine-id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Init(filepath.Join(t.TempDir(), "auth"), now, tt.opts...)
			if err != nil {
				t.Fatalf("Init: %v", err)
			}
			b, err := Load(a.Dir) // the policy is in the signed file
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := b.Catalog.Policy.AllowOverrides; !slices.Equal(got, tt.allow) {
				t.Errorf("allowed overrides %q, want %q", got, tt.allow)
			}
			for _, o := range catalog.Overrides() {
				if b.Catalog.AllowsOverride(o) != slices.Contains(tt.allow, o) {
					t.Errorf("AllowsOverride(%s) = %v", o, b.Catalog.AllowsOverride(o))
				}
			}
		})
	}
}

func TestInitRefusesUnknownOverride(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "auth")
	_, err := Init(dir, now, AllowOverrides("clock", "debug"))
	wantCode(t, err, hresult.InvalidArg, hresult.ExitInvalid, `"debug" is not an override`)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a refused Init left %s behind (%v)", dir, err)
	}
}
