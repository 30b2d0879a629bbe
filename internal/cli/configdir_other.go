//go:build !windows

package cli

const systemConfigDir = "/etc/volact"
