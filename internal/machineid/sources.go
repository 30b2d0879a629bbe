package machineid

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// maxFile caps what is read from one identifier file.
const maxFile = 4096

// fileSources reads the Linux sources under root ("/" on Linux).
func fileSources(root string) []rawSource {
	at := func(p string) string { return filepath.Join(root, filepath.FromSlash(p)) }
	var out []rawSource
	for _, p := range []string{"etc/machine-id", "var/lib/dbus/machine-id"} {
		if v := readValue(at(p)); v != "" {
			out = append(out, rawSource{name: SourceMachineID, values: []string{v}})
			break
		}
	}
	if v := strings.ToLower(readValue(at("sys/class/dmi/id/product_uuid"))); v != "" && !placeholder(v) {
		out = append(out, rawSource{name: SourceDMIProductUUID, values: []string{v}})
	}
	if v := readValue(at("sys/class/dmi/id/board_serial")); v != "" && !placeholder(v) {
		out = append(out, rawSource{name: SourceBoardSerial, values: []string{v}})
	}
	if macs := physicalMACs(at("sys/class/net")); len(macs) > 0 {
		out = append(out, rawSource{name: SourceMACs, values: macs})
	}
	return out
}

// physicalMACs returns the normalised MACs of the interfaces under dir
// that have a device link (physical ones: not lo, bridges, veths, tunnels).
func physicalMACs(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		ifdir := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(ifdir, "device")); err != nil {
			continue
		}
		if m, ok := normalMAC(readValue(filepath.Join(ifdir, "address"))); ok {
			out = append(out, m)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// normalMAC returns s as lower-case colon-separated hex, if it is a usable
// 6-byte MAC (not all zeros or all ones).
func normalMAC(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, "-", ":")
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		return "", false
	}
	for _, p := range parts {
		if len(p) != 2 || strings.Trim(p, "0123456789abcdef") != "" {
			return "", false
		}
	}
	if s == "00:00:00:00:00:00" || s == "ff:ff:ff:ff:ff:ff" {
		return "", false
	}
	return s, true
}

// readValue returns the trimmed content of a small file, or "" when it
// cannot be read (missing, not permitted, a directory, too large).
func readValue(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	buf := make([]byte, maxFile+1)
	n, _ := f.Read(buf)
	if n == 0 || n > maxFile {
		return ""
	}
	return strings.TrimSpace(string(buf[:n]))
}

// placeholders are values that firmware writes when it has no real one;
// they are the same on many machines, so they identify nothing.
var placeholders = []string{
	"none", "n/a", "na", "not specified", "not applicable", "not available",
	"to be filled by o.e.m.", "to be filled by oem", "default string",
	"system serial number", "base board serial number", "chassis serial number",
	"serial number", "0123456789", "123456789", "oem", "unknown", "invalid",
	"03000200-0400-0500-0006-000700080009",
}

// placeholder reports whether v identifies nothing: a known placeholder,
// or one repeated character once punctuation is dropped (all zeros, all
// F's, "xxxxxx").
func placeholder(v string) bool {
	l := strings.ToLower(strings.TrimSpace(v))
	if slices.Contains(placeholders, l) {
		return true
	}
	var first rune
	for _, r := range l {
		if r == '-' || r == ':' || r == ' ' || r == '.' || r == '_' {
			continue
		}
		if first == 0 {
			first = r
		} else if r != first {
			return false
		}
	}
	return true
}
