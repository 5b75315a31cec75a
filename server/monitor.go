package server

import (
	"strconv"

	"github.com/shaledb/shale/config"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Monitors are clients that ran MONITOR: every command the server executes
// is written to them as a status line, through the same non-blocking output
// queue subscribers use, so a slow monitor never slows the server down (its
// output buffer limit disconnects it instead).
type monitors struct {
	mu    sync.RWMutex
	set   map[*Client]struct{}
	count atomic.Int32
}

// StartMonitor turns c into a monitor (called from c's goroutine).
func (s *Server) StartMonitor(c *Client) {
	c.ensureOut()
	s.mon.mu.Lock()
	if s.mon.set == nil {
		s.mon.set = map[*Client]struct{}{}
	}
	if _, ok := s.mon.set[c]; !ok {
		s.mon.set[c] = struct{}{}
		s.mon.count.Add(1)
	}
	s.mon.mu.Unlock()
	c.monitor.Store(true)
}

// StopMonitor removes c from the monitors (disconnect, RESET).
func (s *Server) StopMonitor(c *Client) {
	if !c.monitor.Load() {
		return
	}
	c.monitor.Store(false)
	s.mon.mu.Lock()
	if _, ok := s.mon.set[c]; ok {
		delete(s.mon.set, c)
		s.mon.count.Add(-1)
	}
	s.mon.mu.Unlock()
}

// IsMonitor reports whether c ran MONITOR.
func (c *Client) IsMonitor() bool { return c.monitor.Load() }

// Monitoring reports whether any client is monitoring (one atomic load).
func (s *Server) Monitoring() bool { return s.mon.count.Load() > 0 }

// FeedMonitors writes one executed command to every monitor, formatted as
// Redis does: +<unix>.<micro> [<db> <addr>] "arg" "arg"...
func (s *Server) FeedMonitors(src *Client, db int, args [][]byte) {
	now := time.Now()
	var b strings.Builder
	b.WriteByte('+')
	b.WriteString(strconv.FormatInt(now.Unix(), 10))
	b.WriteByte('.')
	us := strconv.Itoa(now.Nanosecond() / 1000)
	b.WriteString(strings.Repeat("0", 6-len(us)) + us)
	b.WriteString(" [")
	b.WriteString(strconv.Itoa(db))
	b.WriteByte(' ')
	if src == nil || src.Addr == "" {
		b.WriteString("lua")
	} else {
		b.WriteString(src.Addr)
	}
	b.WriteString("]")
	for _, a := range args {
		b.WriteByte(' ')
		b.WriteString(config.Repr(string(a))) // sdscatrepr quoting
	}
	b.WriteString("\r\n")
	line := []byte(b.String())
	s.mon.mu.RLock()
	for c := range s.mon.set {
		if c == src {
			continue
		}
		if q := c.out.Load(); q != nil {
			q.write(line)
		}
	}
	s.mon.mu.RUnlock()
}
