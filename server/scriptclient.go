package server

import "time"

// NewScriptClient returns a client with no connection: the client a
// script's redis.call commands run as (Redis's Lua client). It is not
// listed by CLIENT LIST; it starts on RESP2 and database 0.
func (s *Server) NewScriptClient() *Client {
	c := &Client{srv: s, Created: time.Now(), Authenticated: true}
	c.proto.Store(2)
	c.Reply.Proto = 2
	c.lastUse.Store(c.Created.UnixMilli())
	return c
}

// Detached reports whether the client has no connection (a script's
// client): blocking commands must not block it, as Redis denies blocking
// to its Lua client.
func (c *Client) Detached() bool { return c.conn == nil }
