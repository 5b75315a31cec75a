package commands

import "github.com/shaledb/shale/server"

// AttachHooks run when a server is attached (per-server state of later
// layers: pub/sub registry, blocking queues, slowlog, ...).
var AttachHooks []func(s *server.Server)

// Attach wires the command layer's per-server state into srv.
func Attach(s *server.Server) {
	for _, h := range AttachHooks {
		h(s)
	}
}
