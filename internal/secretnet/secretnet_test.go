package secretnet

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/volact/volact/internal/hresult"
)

func TestCheck(t *testing.T) {
	lookup := func(_ context.Context, h string) ([]netip.Addr, error) {
		switch h {
		case "intranet.corp":
			return []netip.Addr{netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("fd00::7")}, nil
		case "mixed.corp":
			return []netip.Addr{netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("203.0.113.9")}, nil
		case "localhost":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}, nil
		}
		return nil, errors.New("no such host")
	}
	for _, tc := range []struct {
		url   string
		allow bool
		exit  int // 0 = allowed
	}{
		{"https://act.example.com", false, 0},
		{"HTTPS://192.0.2.1", false, 0},
		{"http://127.0.0.1:8080", false, 0},
		{"http://[::1]:8080", false, 0},
		{"http://localhost:8080", false, 0},
		{"http://10.0.0.5", false, 0},
		{"http://172.16.0.1", false, 0},
		{"http://192.168.1.1", false, 0},
		{"http://[fd12:3456::1]", false, 0},
		{"http://169.254.1.1", false, 0},
		{"http://[fe80::1]", false, 0},
		{"http://[::ffff:10.0.0.1]", false, 0},
		{"http://intranet.corp", false, 0},
		{"http://192.0.2.1", false, hresult.ExitInvalid},
		{"http://192.0.2.1:8080/", false, hresult.ExitInvalid},
		{"http://172.32.0.1", false, hresult.ExitInvalid},
		{"http://100.64.0.1", false, hresult.ExitInvalid},
		{"http://0.0.0.0", false, hresult.ExitInvalid},
		{"http://[2001:db8::1]", false, hresult.ExitInvalid},
		{"http://[::ffff:192.0.2.1]", false, hresult.ExitInvalid},
		{"http://mixed.corp", false, hresult.ExitInvalid},
		{"http://nowhere.invalid", false, hresult.ExitUnreachable},
		{"http://192.0.2.1", true, 0},
		{"ftp://192.0.2.1", true, hresult.ExitInvalid},
		{"::not a url", false, hresult.ExitInvalid},
	} {
		err := Check(context.Background(), tc.url, "the MAK", tc.allow, lookup)
		var he *hresult.Error
		switch {
		case tc.exit == 0 && err != nil:
			t.Errorf("Check(%q, allow=%v) = %v, want nil", tc.url, tc.allow, err)
		case tc.exit != 0 && (!errors.As(err, &he) || he.Exit != tc.exit):
			t.Errorf("Check(%q, allow=%v) = %v, want exit %d", tc.url, tc.allow, err, tc.exit)
		}
	}
}
