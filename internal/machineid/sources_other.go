//go:build !linux && !darwin && !windows

package machineid

import "os"

// osSources reads /etc/hostid, else the host name: the only identifiers
// these systems offer without privileges.
func osSources() []rawSource {
	if v := readValue("/etc/hostid"); v != "" {
		return []rawSource{{name: SourceHostID, values: []string{v}}}
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return []rawSource{{name: SourceHostID, values: []string{"host:" + h}}}
	}
	return nil
}
