package machineid

import (
	"encoding/binary"
	"strings"
	"testing"
)

const ioregSample = `+-o MacBookPro18,3  <class IOPlatformExpertDevice, id 0x100000110, registered, matched, active, busy 0 (30 ms), retain 37>
    {
      "IOPlatformSerialNumber" = "C02ZK0XXMD6M"
      "IOPlatformUUID" = "8E1B3C52-5D1A-5B6E-9F0C-2A7D4E8F1A2B"
      "model" = <"MacBookPro18,3">
      "IOPolledInterface" = "AppleARMWatchdogTimerHibernateHandler is not serializable"
    }
`

func TestParseIOReg(t *testing.T) {
	p := parseIOReg([]byte(ioregSample))
	if p["IOPlatformUUID"] != "8E1B3C52-5D1A-5B6E-9F0C-2A7D4E8F1A2B" || p["IOPlatformSerialNumber"] != "C02ZK0XXMD6M" {
		t.Fatalf("parsed %v", p)
	}
	if _, ok := p["model"]; ok {
		t.Error("a data value was taken for a string")
	}
}

func FuzzParseIOReg(f *testing.F) {
	f.Add([]byte(ioregSample))
	f.Add([]byte(`"a" = "b"` + "\n" + `| "x" = ""`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for k, v := range parseIOReg(data) {
			if k == "" || v == "" || strings.ContainsAny(k+v, "\"\n") {
				t.Fatalf("bad property %q = %q", k, v)
			}
		}
	})
}

// smbios builds a RawSMBIOSData structure of version 2.maj.minor with a
// BIOS structure (type 0) and a system structure (type 1) holding uuid.
func smbios(minor byte, uuid []byte) []byte {
	var tbl []byte
	tbl = append(tbl, 0, 0x18, 0, 0)
	tbl = append(tbl, make([]byte, 0x14)...)
	tbl = append(tbl, "Vendor\x00Version\x00\x00"...)
	sys := []byte{1, 0x1b, 1, 0, 1, 2, 3, 4}
	sys = append(sys, uuid...)
	sys = append(sys, 6, 5, 6)
	tbl = append(tbl, sys...)
	tbl = append(tbl, "Maker\x00Model\x00\x00"...)
	tbl = append(tbl, 127, 4, 0, 0, 0, 0)
	hdr := []byte{0, 2, minor, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(hdr[4:], uint32(len(tbl)))
	return append(hdr, tbl...)
}

func TestParseSMBIOSUUID(t *testing.T) {
	u := []byte{0x44, 0x45, 0x4c, 0x4c, 0x42, 0x00, 0x10, 0x35, 0x80, 0x52, 0xb4, 0xc0, 0x4f, 0x4d, 0x34, 0x32}
	cases := []struct {
		name string
		raw  []byte
		want string
		ok   bool
	}{
		{"SMBIOS 2.8", smbios(8, u), "4C4C4544-0042-3510-8052-B4C04F4D3432", true},
		{"SMBIOS 2.4", smbios(4, u), "44454C4C-4200-1035-8052-B4C04F4D3432", true},
		{"all zeros", smbios(8, make([]byte, 16)), "", false},
		{"truncated", smbios(8, u)[:30], "", false},
		{"empty", nil, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseSMBIOSUUID(tc.raw)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("got %q %v, want %q %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzParseSMBIOSUUID(f *testing.F) {
	f.Add(smbios(8, []byte("0123456789abcdef")))
	f.Add(smbios(4, make([]byte, 16)))
	f.Add([]byte{0, 3, 0, 0, 4, 0, 0, 0, 1, 4, 0, 0})
	f.Fuzz(func(t *testing.T, raw []byte) {
		if u, ok := parseSMBIOSUUID(raw); ok && len(u) != 36 {
			t.Fatalf("uuid %q", u)
		}
	})
}

func FuzzNonce(f *testing.F) {
	id := Identity{HardwareID: "h", Sources: []Source{{Name: "machine-id", Digests: []string{"d"}}}}
	n, _ := id.Nonce()
	f.Add(n)
	f.Add("i1..")
	f.Add("Zm9vYmFyYmF6cXV4cXV1eA")
	f.Fuzz(func(t *testing.T, nonce string) {
		if id.Committed(nonce) && !IsCommitment(nonce) {
			t.Fatal("committed but not a commitment")
		}
	})
}
