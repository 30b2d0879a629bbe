//go:build !windows

package main

import "syscall"

// sysProcAttr puts each server in its own process group so that a Ctrl-C
// reaches the demo, which then stops the servers in order.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
