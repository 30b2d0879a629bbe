//go:build !windows

package cmdutil

const systemConfigDir = "/etc/volact"
