//go:build !linux

package main

import "os/exec"

func setDeathSig(cmd *exec.Cmd) {}
