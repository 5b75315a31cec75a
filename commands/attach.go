package commands

import "github.com/shaledb/shale/server"

// AttachHooks run when a server is attached (per-server state of later
// layers: pub/sub registry, blocking queues, slowlog, ...).
var AttachHooks []func(s *server.Server)

// LateAttachHooks run after every AttachHook, for work that starts in the
// background and needs the server fully wired (the first-start import).
var LateAttachHooks []func(s *server.Server)

// CloseHooks run when a client disconnects (drop its watches,
// subscriptions, blocked state).
var CloseHooks []func(c *server.Client)

// Attach wires the command layer's per-server state into srv.
func Attach(s *server.Server) {
	for _, h := range AttachHooks {
		h(s)
	}
	for _, h := range LateAttachHooks {
		h(s)
	}
	prev := s.OnClientClose
	s.OnClientClose = func(c *server.Client) {
		if prev != nil {
			prev(c)
		}
		for _, h := range CloseHooks {
			h(c)
		}
	}
}
