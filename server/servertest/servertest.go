// Package servertest starts real Shale servers on loopback ports for tests:
// in-process (Start) so tests can also reach the engine, driven through a
// real client (go-redis) exactly as users drive Shale.
package servertest

import (
	"context"
	"io"
	"log"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/commands"
	"github.com/shaledb/shale/config"
	"github.com/shaledb/shale/server"
)

// Server is a running test server.
type Server struct {
	t    testing.TB
	Dir  string
	Addr string
	Srv  *server.Server
	args []string
	done chan struct{}
}

// Start starts a server on 127.0.0.1 with a fresh data directory. Extra
// arguments are redis-server style overrides ("--appendfsync", "always").
// The server is stopped when the test ends.
func Start(t testing.TB, overrides ...string) *Server {
	t.Helper()
	s := &Server{t: t, Dir: t.TempDir(), args: overrides}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// StartDir is Start on an existing data directory (for example one
// shale-rdb import built).
func StartDir(t testing.TB, dir string, overrides ...string) *Server {
	t.Helper()
	s := &Server{t: t, Dir: dir, args: overrides}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	s.t.Helper()
	args := append([]string{"--bind", "127.0.0.1", "--port", "0", "--dir", s.Dir}, s.args...)
	cfg, err := config.Load(args)
	if err != nil {
		s.t.Fatalf("config: %v", err)
	}
	srv, err := server.Open(cfg, commands.Dispatch, log.New(io.Discard, "", 0))
	if err != nil {
		s.t.Fatalf("open: %v", err)
	}
	commands.Attach(srv)
	if err := srv.Listen(); err != nil {
		s.t.Fatalf("listen: %v", err)
	}
	s.Srv = srv
	s.Addr = srv.Addr().String()
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		_ = srv.Serve()
	}()
	// Wait until it answers.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", s.Addr)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.t.Fatalf("server did not start on %s", s.Addr)
}

// Stop shuts the server down (idempotent).
func (s *Server) Stop() {
	if s.Srv == nil {
		return
	}
	s.Srv.Shutdown()
	<-s.done
	s.Srv = nil
}

// Restart stops the server and starts a new one on the same directory
// (the port changes).
func (s *Server) Restart() {
	s.Stop()
	s.start()
}

// Client returns a go-redis client (RESP2, one connection unless the
// caller changes PoolSize) closed when the test ends.
func (s *Server) Client() *redis.Client {
	return s.ClientWith(&redis.Options{})
}

// ClientWith returns a client with the given options (Addr is filled in).
func (s *Server) ClientWith(o *redis.Options) *redis.Client {
	o.Addr = s.Addr
	if o.Protocol == 0 {
		o.Protocol = 2
	}
	if o.PoolSize == 0 {
		o.PoolSize = 4
	}
	o.DisableIdentity = true
	c := redis.NewClient(o)
	s.t.Cleanup(func() { c.Close() })
	return c
}

// Do runs a raw command and returns go-redis's reply and error.
func Do(c *redis.Client, args ...any) (any, error) {
	return c.Do(context.Background(), args...).Result()
}
