//go:build !linux

package server

import "runtime"

// OSName returns INFO's os field.
func OSName() string { return runtime.GOOS + " " + runtime.GOARCH }
