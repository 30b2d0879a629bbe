package machineid

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// parseIOReg returns the string properties of `ioreg -rd1 -c
// IOPlatformExpertDevice` output: lines of the form "Key" = "value".
// Other lines, and values that are not quoted strings, are ignored; the
// first occurrence of a key wins.
func parseIOReg(out []byte) map[string]string {
	props := map[string]string{}
	for line := range strings.Lines(string(out)) {
		line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "|"))
		key, val, ok := strings.Cut(line, " = ")
		if !ok || len(key) < 3 || key[0] != '"' || key[len(key)-1] != '"' {
			continue
		}
		val = strings.TrimSpace(val)
		if len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
			continue
		}
		k, v := key[1:len(key)-1], strings.TrimSpace(val[1:len(val)-1])
		if strings.ContainsAny(k, `"`) || strings.ContainsAny(v, `"`) || v == "" {
			continue
		}
		if _, seen := props[k]; !seen {
			props[k] = v
		}
	}
	return props
}

// parseSMBIOSUUID returns the system UUID of a RawSMBIOSData structure (as
// GetSystemFirmwareTable('RSMB') returns it): the 16 bytes at offset 8 of
// the first type 1 (System Information) structure, in the text form that
// Windows shows (the first three fields little-endian from SMBIOS 2.6 on).
// ok is false for a malformed table, a missing UUID or a placeholder (all
// zeros or all ones).
func parseSMBIOSUUID(raw []byte) (uuid string, ok bool) {
	if len(raw) < 8 {
		return "", false
	}
	major, minor := raw[1], raw[2]
	n := binary.LittleEndian.Uint32(raw[4:8])
	tbl := raw[8:]
	if uint64(n) < uint64(len(tbl)) {
		tbl = tbl[:n]
	}
	for off := 0; off+4 <= len(tbl); {
		typ, length := tbl[off], int(tbl[off+1])
		if length < 4 || off+length > len(tbl) {
			return "", false
		}
		if typ == 1 && length >= 0x18 {
			return formatUUID(tbl[off+8:off+24], major > 2 || (major == 2 && minor >= 6))
		}
		if typ == 127 {
			return "", false
		}
		// The strings follow the formatted area and end with two NULs.
		end := off + length
		for end+1 < len(tbl) && (tbl[end] != 0 || tbl[end+1] != 0) {
			end++
		}
		off = end + 2
	}
	return "", false
}

func formatUUID(b []byte, mixedEndian bool) (string, bool) {
	allSame := true
	for _, c := range b {
		if c != b[0] {
			allSame = false
		}
	}
	if allSame && (b[0] == 0 || b[0] == 0xff) {
		return "", false
	}
	if mixedEndian {
		return fmt.Sprintf("%08X-%04X-%04X-%X-%X", binary.LittleEndian.Uint32(b[0:4]),
			binary.LittleEndian.Uint16(b[4:6]), binary.LittleEndian.Uint16(b[6:8]), b[8:10], b[10:16]), true
	}
	return fmt.Sprintf("%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), true
}
