package hostname

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
)

func TestParseHostPort(t *testing.T) {
	tests := []struct {
		in   string
		host string
		port int
		err  error
	}{
		{"kms.example.com", "kms.example.com", 0, nil},
		{"kms.example.com.", "kms.example.com.", 0, nil},
		{"KMS-01.Example.COM:1688", "KMS-01.Example.COM", 1688, nil},
		{"localhost", "localhost", 0, nil},
		{"a", "a", 0, nil},
		{"1kms.example.com", "1kms.example.com", 0, nil},
		{"192.0.2.1", "192.0.2.1", 0, nil},
		{"192.0.2.1:65535", "192.0.2.1", 65535, nil},
		{"fd00::5", "fd00::5", 0, nil},
		{"[fd00::5]", "fd00::5", 0, nil},
		{"[fd00::5]:1688", "fd00::5", 1688, nil},
		{"[::1]:1", "::1", 1, nil},
		{"fe80::1%eth0", "fe80::1%eth0", 0, nil},
		{"[fe80::1%eth0]:1688", "fe80::1%eth0", 1688, nil},
		{strings.Repeat("a", 63) + ".example", strings.Repeat("a", 63) + ".example", 0, nil},

		{"", "", 0, ErrEmpty},
		{"\x1b]0;pwn\x07host", "", 0, ErrName},
		{"host\x1b[2J", "", 0, ErrName},
		{"kms\n.example.com", "", 0, ErrName},
		{"kms\x00.example.com", "", 0, ErrName},
		{"kms\u009b.example.com", "", 0, ErrName},
		{"kms.exämple.com", "", 0, ErrName},
		{" kms.example.com", "", 0, ErrName},
		{"kms example.com", "", 0, ErrName},
		{"kms_01.example.com", "", 0, ErrName},
		{"-kms.example.com", "", 0, ErrName},
		{"kms-.example.com", "", 0, ErrName},
		{"kms..example.com", "", 0, ErrName},
		{".example.com", "", 0, ErrName},
		{".", "", 0, ErrName},
		{strings.Repeat("a", 64) + ".example", "", 0, ErrName},
		{strings.Repeat("a.", 127) + "ab", "", 0, ErrName},
		{"1.2.3.999", "", 0, ErrName},
		{"123", "", 0, ErrName},
		{"user@host", "", 0, ErrName},
		{"http://host", "", 0, ErrPort},
		{"host/path", "", 0, ErrName},
		{"host;rm -rf", "", 0, ErrName},
		{"[kms.example.com]", "", 0, ErrName},
		{"[192.0.2.1]:1688", "", 0, ErrName},
		{"[fd00::5", "", 0, ErrName},
		{"[fd00::5]1688", "", 0, ErrName},
		{"[fe80::1%eth0\x1b]", "", 0, ErrName},
		{"fd00::5:1688:", "", 0, ErrName},

		{"kms.example.com:0", "", 0, ErrPort},
		{"kms.example.com:65536", "", 0, ErrPort},
		{"kms.example.com:", "", 0, ErrPort},
		{"kms.example.com:+80", "", 0, ErrPort},
		{"kms.example.com:-1", "", 0, ErrPort},
		{"kms.example.com: 80", "", 0, ErrPort},
		{"kms.example.com:0x50", "", 0, ErrPort},
		{"kms.example.com:123456", "", 0, ErrPort},
		{"[::1]:0", "", 0, ErrPort},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.in), func(t *testing.T) {
			h, p, err := ParseHostPort(tt.in)
			if !errors.Is(err, tt.err) || h != tt.host || p != tt.port {
				t.Fatalf("ParseHostPort(%q) = %q, %d, %v; want %q, %d, %v", tt.in, h, p, err, tt.host, tt.port, tt.err)
			}
		})
	}
}

func TestValidDomain(t *testing.T) {
	for in, want := range map[string]bool{
		"corp.example.com":        true,
		"corp.example.com.":       true,
		"example":                 true,
		"":                        false,
		"corp.example.com:53":     false,
		"corp/example":            false,
		"_vlmcs._tcp.example.com": false,
		"corp.\x1b[31mexample":    false,
	} {
		if got := ValidDomain(in); got != want {
			t.Errorf("ValidDomain(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzParseHostPort checks that whatever ParseHostPort accepts is safe to
// store and print (printable ASCII only, no shell or URL syntax but the
// brackets and colons of a literal), has a port in range, and parses again
// to the same host and port once joined with net.JoinHostPort.
func FuzzParseHostPort(f *testing.F) {
	for _, s := range []string{"kms.example.com", "kms.example.com:1688", "[fd00::5]:1688", "192.0.2.1:80",
		"fe80::1%eth0", "\x1b]0;pwn\x07host", "1.2.3.999", "[::ffff:1.2.3.4]", "a:b:c", "[", "host:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, p, err := ParseHostPort(s)
		if err != nil {
			if h != "" || p != 0 {
				t.Fatalf("error %v with host %q port %d", err, h, p)
			}
			return
		}
		if p < 0 || p > 65535 || h == "" {
			t.Fatalf("accepted %q as host %q port %d", s, h, p)
		}
		for i := 0; i < len(h); i++ {
			if c := h[i]; c <= ' ' || c >= 0x7f || strings.IndexByte("/\\@?#[]'\"`$;&|<>(){}*!~,=+", c) >= 0 {
				t.Fatalf("accepted %q with byte %#x in host %q", s, c, h)
			}
		}
		again := h
		if p != 0 {
			again = net.JoinHostPort(h, strconv.Itoa(p))
		} else if strings.Contains(h, ":") {
			again = "[" + h + "]"
		}
		h2, p2, err := ParseHostPort(again)
		if err != nil || h2 != h || p2 != p {
			t.Fatalf("%q -> %q %d; rejoined %q -> %q %d %v", s, h, p, again, h2, p2, err)
		}
	})
}
