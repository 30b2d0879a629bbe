//go:build !linux && !darwin && !windows

package machineid

import (
	"errors"
	"os"
)

func osMachineID() (string, error) {
	if b, err := os.ReadFile("/etc/hostid"); err == nil {
		return string(b), nil
	}
	if h, err := os.Hostname(); err == nil {
		return "host:" + h, nil
	}
	return "", errors.New("no machine id source")
}
