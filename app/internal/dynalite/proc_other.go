//go:build !unix

package dynalite

import "os/exec"

// ownProcessGroup does nothing where there are no Unix process groups.
func ownProcessGroup(*exec.Cmd) {}

// killProcessGroup kills the process.
func killProcessGroup(cmd *exec.Cmd) {
	cmd.Process.Kill() //nolint:errcheck // already gone
}
