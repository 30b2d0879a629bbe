package machineid

import "golang.org/x/sys/unix"

func osMachineID() (string, error) {
	return unix.Sysctl("kern.uuid")
}
