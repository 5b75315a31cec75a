// Package server is Shale's network layer: it accepts RESP connections with
// redcon, keeps one Client per connection (each served by its own
// goroutine), and hands every command to the dispatcher in commands/.
package server

import (
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shaledb/shale/config"
	"github.com/shaledb/shale/engine"
	"github.com/tidwall/redcon"
)

// Version is the Redis version Shale reports (INFO redis_version, HELLO).
const Version = "7.0.15"

// ShaleVersion is Shale's own version.
const ShaleVersion = "0.1.0"

// Handler runs one command for a client, writing its reply to c.Reply.
type Handler func(c *Client, args [][]byte)

// Stats are server-wide counters for INFO.
type Stats struct {
	CommandsProcessed   atomic.Int64
	ConnectionsReceived atomic.Int64
	RejectedConnections atomic.Int64
	NetInputBytes       atomic.Int64
	NetOutputBytes      atomic.Int64
	ErrorReplies        atomic.Int64
}

// Server is a running Shale server.
type Server struct {
	Config  *config.Config
	Engine  *engine.Engine
	Stats   Stats
	Started time.Time
	RunID   string
	Logger  *log.Logger

	handler Handler
	rs      *redcon.Server
	ln      net.Listener

	mu      sync.RWMutex
	clients map[int64]*Client
	nextID  atomic.Int64

	// maxBulk mirrors proto-max-bulk-len for the protocol guard (read per
	// bulk header, so not through the config map).
	maxBulk atomic.Int64

	// pubsub is the channel/pattern registry (pubsub.go).
	pubsub PubSub

	mon monitors // MONITOR clients (monitor.go)
	// Slowlog is the SLOWLOG ring (slowlog.go).
	Slowlog Slowlog

	// Loading is set while the first-start RDB import runs; Redis then
	// answers LOADING to commands without the loading flag. The progress
	// fields feed INFO persistence.
	Loading atomic.Bool
	Load    LoadProgress

	shutdownOnce sync.Once
	done         chan struct{}
	// OnClientClose, when set, runs after a client disconnects (cleanup of
	// subscriptions, blocked state, ...).
	OnClientClose func(c *Client)
	// ShutdownHook runs once when the server shuts down (SHUTDOWN, signal).
	ShutdownHook func()
}

// LoadProgress is what INFO persistence shows while loading.
type LoadProgress struct {
	Start  atomic.Int64 // unix seconds
	Total  atomic.Int64 // bytes of the file
	Loaded atomic.Int64 // bytes read so far
}

// New creates a server around an open engine.
func New(cfg *config.Config, eng *engine.Engine, h Handler, logger *log.Logger) *Server {
	if logger == nil {
		logger = log.New(os.Stderr, "", log.LstdFlags)
	}
	s := &Server{
		Config:  cfg,
		Engine:  eng,
		handler: h,
		clients: map[int64]*Client{},
		done:    make(chan struct{}),
		Started: time.Now(),
		RunID:   newRunID(),
		Logger:  logger,
	}
	s.maxBulk.Store(cfg.Int("proto-max-bulk-len"))
	cfg.Watch("proto-max-bulk-len", func(string) error {
		s.maxBulk.Store(cfg.Int("proto-max-bulk-len"))
		return nil
	})
	return s
}

func newRunID() string {
	var b [20]byte
	f, err := os.Open("/dev/urandom")
	if err == nil {
		_, _ = f.Read(b[:])
		f.Close()
	}
	return fmt.Sprintf("%x", b)
}

// Listen binds the configured addresses (the first bind address; port 0
// picks a free port).
func (s *Server) Listen() error {
	binds := strings.Fields(s.Config.Get("bind"))
	if len(binds) == 0 {
		binds = []string{"127.0.0.1"}
	}
	host := strings.TrimPrefix(binds[0], "-")
	ln, err := net.Listen("tcp", net.JoinHostPort(host, s.Config.Get("port")))
	if err != nil {
		return err
	}
	s.ln = &guardListener{Listener: ln, srv: s}
	return nil
}

// Addr returns the listening address.
func (s *Server) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Serve accepts connections until Shutdown.
func (s *Server) Serve() error {
	if s.ln == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	rs := redcon.NewServerNetwork("tcp", "", s.serveCommand, s.accept, s.closed)
	s.mu.Lock()
	s.rs = rs
	s.mu.Unlock()
	select {
	case <-s.done:
		return nil // shut down before serving began
	default:
	}
	// The cron (info.go) samples INFO rates and applies timeout, which it
	// re-reads every second so CONFIG SET timeout takes effect at once.
	s.StartCron()
	err := rs.Serve(s.ln)
	select {
	case <-s.done:
		return nil
	default:
	}
	return err
}

func (s *Server) accept(conn redcon.Conn) bool {
	s.Stats.ConnectionsReceived.Add(1)
	s.mu.Lock()
	if max := s.Config.Int("maxclients"); int64(len(s.clients)) >= max {
		s.mu.Unlock()
		s.Stats.RejectedConnections.Add(1)
		if nc := conn.NetConn(); nc != nil {
			_, _ = nc.Write([]byte("-ERR max number of clients reached\r\n"))
		}
		return false
	}
	c := &Client{
		ID:        s.nextID.Add(1),
		srv:       s,
		conn:      conn,
		Addr:      conn.RemoteAddr(),
		LocalAddr: localAddr(conn),
		Created:   time.Now(),
	}
	c.proto.Store(2)
	c.Reply.Proto = 2
	c.lastUse.Store(c.Created.UnixMilli())
	c.Authenticated = s.Config.Get("requirepass") == ""
	s.clients[c.ID] = c
	s.mu.Unlock()
	conn.SetContext(c)
	if g, ok := conn.NetConn().(*guardConn); ok {
		g.client.Store(c)
	}
	if ka := s.Config.Int("tcp-keepalive"); ka > 0 {
		if tc, ok := conn.NetConn().(*net.TCPConn); ok {
			_ = tc.SetKeepAlive(true)
			_ = tc.SetKeepAlivePeriod(time.Duration(ka) * time.Second)
		}
	}
	return true
}

func (s *Server) closed(conn redcon.Conn, err error) {
	c, _ := conn.Context().(*Client)
	if c == nil {
		return
	}
	s.mu.Lock()
	delete(s.clients, c.ID)
	s.mu.Unlock()
	if s.OnClientClose != nil {
		s.OnClientClose(c)
	}
}

func (s *Server) serveCommand(conn redcon.Conn, cmd redcon.Command) {
	c := conn.Context().(*Client)
	if c.closing.Load() {
		return
	}
	c.Reply.Buf = c.Reply.Buf[:0]
	// Within a pipeline, writes are applied at once but their WAL waits are
	// deferred to the pipeline's last command: redcon sends the replies
	// only after that, so nothing is acknowledged before it is durable.
	more := len(conn.PeekPipeline()) > 0
	c.PipelineMore = more
	c.Tx.DeferSync = true
	// A subscribed client's output goes through its queue (pubsub.go).
	q := c.out.Load()
	if q != nil {
		q.begin()
	}
	s.handler(c, cmd.Args)
	c.applyReplyMode()
	q = c.out.Load()
	if (!more || q != nil) && c.Tx.HasPending() {
		if err := c.Tx.WaitDurable(); err != nil {
			s.Logger.Printf("# WAL write failed, closing client %d: %v", c.ID, err)
			c.Kill()
			return
		}
	}
	s.Stats.NetInputBytes.Add(int64(len(cmd.Raw)))
	s.Stats.NetOutputBytes.Add(int64(len(c.Reply.Buf)))
	if q != nil {
		q.end(c.Reply.Buf)
	} else {
		conn.WriteRaw(c.Reply.Buf)
	}
	if cap(c.Reply.Buf) > 1<<20 {
		c.Reply.Buf = nil // do not pin a huge reply buffer
	}
	if c.closing.Load() {
		if q != nil {
			q.closeWhenFlushed()
			return
		}
		// Flush what was written (QUIT's +OK), then close.
		if w := redcon.BaseWriter(conn); w != nil {
			_ = w.Flush()
		}
		conn.Close()
	}
}

// Clients returns a snapshot of the connected clients ordered by id.
func (s *Server) Clients() []*Client {
	s.mu.RLock()
	out := make([]*Client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, c)
	}
	s.mu.RUnlock()
	sortClients(out)
	return out
}

// ClientCount returns the number of connected clients.
func (s *Server) ClientCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.clients)
}

// Done is closed when the server shuts down.
func (s *Server) Done() <-chan struct{} { return s.done }

// ErrShutdown is returned by Serve after Shutdown.
var ErrShutdown = errors.New("server shut down")

// Shutdown stops accepting, closes every client and closes the engine.
func (s *Server) Shutdown() {
	s.shutdownOnce.Do(func() {
		close(s.done)
		s.mu.RLock()
		rs := s.rs
		s.mu.RUnlock()
		if rs != nil {
			_ = rs.Close()
		}
		// Close the listener too: redcon's Close does nothing if its
		// Serve has not recorded the listener yet, and Accept must fail
		// for Serve to return.
		if s.ln != nil {
			_ = s.ln.Close()
		}
		for _, c := range s.Clients() {
			c.Kill()
		}
		if s.ShutdownHook != nil {
			s.ShutdownHook()
		}
		if err := s.Engine.Close(); err != nil {
			s.Logger.Printf("error closing storage: %v", err)
		}
	})
}
