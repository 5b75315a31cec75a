//go:build linux

package conformance_test

import (
	"os/exec"
	"syscall"
)

// setDeathSig makes a server we start die with us, even if we are killed
// before our cleanup runs.
func setDeathSig(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
