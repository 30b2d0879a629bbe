package machineid

import (
	"errors"
	"os"
	"strings"
)

func osMachineID() (string, error) {
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if b, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(b)) != "" {
			return string(b), nil
		}
	}
	return "", errors.New("no /etc/machine-id")
}
