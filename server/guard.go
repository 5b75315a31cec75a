package server

import (
	"errors"
	"net"
	"sync/atomic"
)

// guardListener wraps accepted connections in guardConn, which enforces
// Redis's protocol limits before redcon buffers anything: redcon would
// otherwise grow its buffer to whatever length a client announces.
type guardListener struct {
	net.Listener
	srv *Server
}

func (l *guardListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &guardConn{Conn: c, srv: l.srv}, nil
}

const (
	inlineMax          = 64 << 10 // PROTO_INLINE_MAX_SIZE
	unauthMultibulkMax = 10
	unauthBulkMax      = 16384
	maxMultibulkCount  = 1<<31 - 1
	errProtocolPrefix  = "-ERR Protocol error: "
)

// Framing states; the zero value is the start of a command.
const (
	guardStart = iota
	guardMultibulkCount
	guardBulkStart
	guardBulkLen
	guardBulkBody
	guardInline
	guardPassthrough
)

var errProtocolLimit = errors.New("protocol limit exceeded")

// guardConn tracks RESP framing as bytes arrive. When a frame breaks a
// limit, it hands redcon only the bytes before that frame; the next Read
// writes Redis's error and fails, so earlier pipelined commands are still
// answered first.
type guardConn struct {
	net.Conn
	srv    *Server
	client atomic.Pointer[Client]

	state    int
	num      int64
	neg      bool
	digits   int
	lineLen  int
	argsLeft int64
	bodyLeft int64
	pending  string // error to send on the next Read
}

func (g *guardConn) Read(p []byte) (int, error) {
	if g.pending != "" {
		_, _ = g.Conn.Write([]byte(errProtocolPrefix + g.pending + "\r\n"))
		return 0, errProtocolLimit
	}
	n, err := g.Conn.Read(p)
	if n > 0 {
		ok, msg := g.feed(p[:n])
		if msg != "" {
			g.pending = msg
			if ok == 0 {
				_, _ = g.Conn.Write([]byte(errProtocolPrefix + g.pending + "\r\n"))
				return 0, errProtocolLimit
			}
			return ok, nil
		}
	}
	return n, err
}

func (g *guardConn) authenticated() bool {
	c := g.client.Load()
	return c == nil || c.Authenticated
}

func (g *guardConn) maxBulk() int64 {
	if n := g.srv.maxBulk.Load(); n > 0 {
		return n
	}
	return 512 << 20
}

// feed advances the framing state over p. It returns how many bytes may be
// passed on and, if a limit was broken, the error text.
func (g *guardConn) feed(p []byte) (int, string) {
	frameStart := 0 // start of the current command in p
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch g.state {
		case guardPassthrough:
			return len(p), ""
		case guardStart:
			frameStart = i
			if c == '*' {
				g.state, g.num, g.neg, g.digits = guardMultibulkCount, 0, false, 0
			} else {
				g.state, g.lineLen = guardInline, 1
				if c == '\n' {
					g.state = guardStart
				}
			}
		case guardInline:
			if c == '\n' {
				g.state = guardStart
				continue
			}
			g.lineLen++
			if g.lineLen > inlineMax {
				return frameStart, "too big inline request"
			}
		case guardMultibulkCount, guardBulkLen:
			switch {
			case c == '-' && g.digits == 0 && !g.neg:
				g.neg = true
			case c >= '0' && c <= '9':
				g.digits++
				if g.digits > 18 {
					if g.state == guardMultibulkCount {
						return frameStart, "invalid multibulk length"
					}
					return frameStart, "invalid bulk length"
				}
				g.num = g.num*10 + int64(c-'0')
			case c == '\r':
			case c == '\n':
				n := g.num
				if g.neg {
					n = -n
				}
				if g.state == guardMultibulkCount {
					if n > maxMultibulkCount {
						return frameStart, "invalid multibulk length"
					}
					if n > unauthMultibulkMax && !g.authenticated() {
						return frameStart, "unauthenticated multibulk length"
					}
					if n <= 0 {
						g.state = guardStart
						continue
					}
					g.argsLeft = n
					g.state = guardBulkStart
					continue
				}
				if n < 0 || n > g.maxBulk() {
					return frameStart, "invalid bulk length"
				}
				if n > unauthBulkMax && !g.authenticated() {
					return frameStart, "unauthenticated bulk length"
				}
				g.bodyLeft = n + 2
				g.state = guardBulkBody
			default:
				// Not a number: redcon reports the exact protocol error.
				g.state = guardPassthrough
			}
		case guardBulkStart:
			if c != '$' {
				g.state = guardPassthrough
				continue
			}
			g.state, g.num, g.neg, g.digits = guardBulkLen, 0, false, 0
		case guardBulkBody:
			skip := int64(len(p) - i)
			if skip > g.bodyLeft {
				skip = g.bodyLeft
			}
			g.bodyLeft -= skip
			i += int(skip) - 1
			if g.bodyLeft == 0 {
				g.argsLeft--
				if g.argsLeft == 0 {
					g.state = guardStart
				} else {
					g.state = guardBulkStart
				}
			}
		}
	}
	return len(p), ""
}
