//go:build unix

package dynalite

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the process in a group of its own, so that stopping
// it also stops whatever it started (node may fork helpers).
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcessGroup kills the process and everything in its group.
func killProcessGroup(cmd *exec.Cmd) {
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		cmd.Process.Kill() //nolint:errcheck // already gone
	}
}
