package machineid

import (
	"context"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// osSources reads the platform UUID (sysctl kern.uuid, the value volact
// always hashed, else ioreg) and the platform serial number (ioreg).
func osSources() []rawSource {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, "/usr/sbin/ioreg", "-rd1", "-c", "IOPlatformExpertDevice").Output()
	reg := parseIOReg(out)
	uuid, err := unix.Sysctl("kern.uuid")
	if err != nil || strings.TrimSpace(uuid) == "" {
		uuid = reg["IOPlatformUUID"]
	}
	var srcs []rawSource
	if uuid = strings.TrimSpace(uuid); uuid != "" && !placeholder(uuid) {
		srcs = append(srcs, rawSource{name: SourcePlatformUUID, values: []string{uuid}})
	}
	if s := reg["IOPlatformSerialNumber"]; s != "" && !placeholder(s) {
		srcs = append(srcs, rawSource{name: SourcePlatformSerial, values: []string{s}})
	}
	return srcs
}
