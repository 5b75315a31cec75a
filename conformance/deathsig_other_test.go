//go:build !linux

package conformance_test

import "os/exec"

func setDeathSig(cmd *exec.Cmd) {}
