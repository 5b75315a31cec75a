package server

import (
	"net"
	"syscall"

	"github.com/tidwall/redcon"
)

// Helpers for blocking commands (commands/blocking.go): a client that
// blocks waits inside its command, on its connection's goroutine.

// FlushPending sends the replies of earlier pipelined commands before the
// client blocks, as Redis would have written them already.
func (c *Client) FlushPending() {
	if c.out.Load() != nil {
		return // a subscriber's output goes through its queue
	}
	if w := redcon.BaseWriter(c.conn); w != nil {
		_ = w.Flush()
	}
}

// PeerClosed reports whether the peer closed the connection, by peeking
// at the socket without consuming anything (the connection's reader is
// parked while its client is blocked).
func (c *Client) PeerClosed() bool {
	if c.closing.Load() {
		return true
	}
	nc := c.conn.NetConn()
	if g, ok := nc.(*guardConn); ok {
		nc = g.Conn
	}
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return false
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return true
	}
	closed := false
	var buf [1]byte
	_ = rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		closed = n == 0 && err == nil || (err != nil && err != syscall.EAGAIN && err != syscall.EWOULDBLOCK && err != syscall.EINTR)
		return true
	})
	return closed
}
